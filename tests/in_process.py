"""An ASGI app served in this process, for httpx's sync client: no socket, no uvicorn.

``httpx.ASGITransport`` is async only, and Starlette's ``TestClient`` runs the app's lifespan
once per client (each ``with TestClient(app)`` starts it again), while a test here opens several
clients on one app. ``InProcess`` runs the lifespan once, on an event loop in a thread of its
own, and ``transport`` hands every request to the app on that loop::

    with InProcess(app) as served:
        with httpx.Client(base_url="http://127.0.0.1", transport=served.transport) as client:
            client.get("/healthz")

What differs from uvicorn, on purpose: the peer address is always ``client`` (127.0.0.1, as a
local client's is); the body is handed over in the chunks the request was built with, at once;
an exception in the app fails the test (uvicorn would log it and answer 500); and the answer
comes back whole, after the app has returned. What it cannot do: slow or broken bodies, raw
bytes on a socket, several processes; tests of those use a real server (``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import anyio
import anyio.from_thread
import httpx
from anyio.abc import TaskStatus
from starlette.types import ASGIApp, Message

CLIENT = ("127.0.0.1", 50000)


class InProcess:
    """Run ``app``'s lifespan on a thread's event loop while the ``with`` block lasts."""

    def __init__(self, app: ASGIApp, *, client: tuple[str, int] = CLIENT, timeout: float = 30):
        self.app = app
        self.client = client
        self.timeout = timeout
        self.state: dict[str, Any] = {}
        self._stack = contextlib.ExitStack()
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._shutdown: anyio.Event | None = None
        self.transport = _Transport(self)

    def __enter__(self) -> InProcess:
        with contextlib.ExitStack() as stack:
            self._portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
            lifespan, self._shutdown = self._portal.start_task(self._lifespan)
            stack.callback(lifespan.result, self.timeout)
            stack.callback(self._portal.call, self._shutdown.set)
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._portal = None
        self._stack.close()

    async def _lifespan(self, *, task_status: TaskStatus[anyio.Event]) -> None:
        """Start the app up, say so, and shut it down when ``_shutdown`` is set."""
        shutdown = anyio.Event()
        asked = False

        async def receive() -> Message:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "lifespan.startup"}
            await shutdown.wait()
            return {"type": "lifespan.shutdown"}

        async def send(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                task_status.started(shutdown)
            # On failure the app raises its own error, which start_task hands to __enter__.

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        await self.app(scope, receive, send)

    def call(self, scope: dict[str, Any], chunks: list[bytes]) -> tuple[int, list[Any], bytes]:
        """The app's answer to one request: status, raw headers, the whole body."""
        if self._portal is None:
            raise RuntimeError("InProcess is used outside its with block")
        answer: tuple[int, list[Any], bytes] = self._portal.call(self._call, scope, chunks)
        return answer

    async def _call(
        self, scope: dict[str, Any], chunks: list[bytes]
    ) -> tuple[int, list[Any], bytes]:
        pending = list(chunks) or [b""]
        complete = anyio.Event()
        start: Message | None = None
        body = bytearray()

        async def receive() -> Message:
            if pending:
                chunk = pending.pop(0)
                return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
            await complete.wait()  # as a connection would: open until the answer is sent
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                assert start is None, "the app started its answer twice"
                start = message
            elif message["type"] == "http.response.body":
                assert start is not None, "the app sent a body before its status"
                assert not complete.is_set(), "the app sent a body after its last one"
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    complete.set()

        try:
            with anyio.fail_after(self.timeout):
                await self.app(scope, receive, send)
        finally:
            complete.set()
        assert start is not None, "the app returned without an answer"
        if scope["method"] == "HEAD":
            body.clear()
        return start["status"], list(start.get("headers", [])), bytes(body)


class _Transport(httpx.BaseTransport):
    """httpx's side: a request in, the app's answer out, over ``InProcess``."""

    def __init__(self, served: InProcess) -> None:
        self.served = served

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        raw_path, _, query = url.raw_path.partition(b"?")
        headers = list(request.headers.raw)
        if "host" not in request.headers:
            headers.insert(0, (b"host", url.netloc))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": [(name.lower(), value) for name, value in headers],
            "client": self.served.client,
            "server": (url.host, url.port or {"https": 443}.get(url.scheme, 80)),
            "state": dict(self.served.state),
        }
        chunks = [bytes(chunk) for chunk in _chunks(request)]
        try:
            status, raw_headers, body = self.served.call(scope, chunks)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(
                f"no answer in {self.served.timeout} s", request=request
            ) from exc
        return httpx.Response(
            status,
            headers=raw_headers,
            stream=httpx.ByteStream(body),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    def close(self) -> None:
        """Nothing: the app stays up for the test's other clients until ``InProcess`` ends."""


def _chunks(request: httpx.Request) -> Iterator[bytes]:
    stream = request.stream
    assert isinstance(stream, httpx.SyncByteStream), "a sync client's request"
    yield from stream
