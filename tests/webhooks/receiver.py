"""A real webhook receiver for tests: an HTTP server on a kernel-assigned loopback port that
records every request and answers as the test tells it (a status, a redirect, a huge body, or
no answer until the test ends)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Behaviour:
    # Statuses to answer in turn; the last one is repeated.
    statuses: list[int] = field(default_factory=lambda: [200])
    location: str | None = None
    body: bytes = b"ok"
    # Set: the receiver holds every answer until the event is set (a receiver that hangs).
    hold: threading.Event | None = None


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self.received: list[Received] = []
        self.behaviour = Behaviour()
        self.got = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.got:
                    receiver.received.append(
                        Received(self.path, {k: v for k, v in self.headers.items()}, body)
                    )
                    index = len(receiver.received) - 1
                    receiver.got.notify_all()
                b = receiver.behaviour
                if b.hold is not None:
                    b.hold.wait(30)
                    return
                status = b.statuses[min(index, len(b.statuses) - 1)]
                self.send_response(status)
                if b.location:
                    self.send_header("Location", b.location)
                self.send_header("Content-Length", str(len(b.body)))
                self.end_headers()
                with suppress(OSError):  # the client cut a huge answer short, as it should
                    self.wfile.write(b.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        hold = self.behaviour.hold
        if hold is not None:
            hold.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiving(port: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(port).start()
    try:
        yield receiver
    finally:
        receiver.stop()
