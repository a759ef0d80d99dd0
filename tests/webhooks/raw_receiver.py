"""A webhook receiver that misbehaves at the byte level, for tests: a TCP server on a
kernel-assigned loopback port that reads the request and then answers with what the test's
``answer`` writes on the raw socket (endless headers, a body with no end, an answer dripped a
byte at a time). It stops when the test ends, or when the client hangs up."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

Answer = Callable[[socket.socket, threading.Event], None]


class RawReceiver:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.stop = threading.Event()
        self.requests = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn, suppress(OSError):
            seen = b""
            while b"\r\n\r\n" not in seen:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                seen += chunk
            self.requests += 1
            self.answer(conn, self.stop)

    def close(self) -> None:
        self.stop.set()
        self.server.close()


@contextmanager
def raw_receiving(answer: Answer) -> Iterator[RawReceiver]:
    receiver = RawReceiver(answer)
    try:
        yield receiver
    finally:
        receiver.close()


def endless_headers(conn: socket.socket, stop: threading.Event) -> None:
    """``200 OK`` and then header lines, as fast as the client takes them, never a blank line."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    n = 0
    while not stop.is_set():
        conn.sendall(b"X-Filler-%d: %s\r\n" % (n, b"x" * 64))
        n += 1


def endless_body(conn: socket.socket, stop: threading.Event) -> None:
    """``200 OK`` with no length (the body ends when the connection does), and it never does."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
    chunk = b"y" * 65536
    while not stop.is_set():
        conn.sendall(chunk)


def dripped_headers(conn: socket.socket, stop: threading.Event) -> None:
    """An answer's head a byte at a time, each byte well inside a socket timeout, without end:
    only a deadline over the whole answer ends it."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while not stop.wait(0.05):
        conn.sendall(b"X")


def dripped_body(conn: socket.socket, stop: threading.Event) -> None:
    """A ``200 OK`` whose promised body comes a byte at a time."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not stop.wait(0.05):
        conn.sendall(b"z")
