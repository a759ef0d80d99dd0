"""The ceiling: a raw ASGI callable that answers every request with bytes it holds in memory.

bench/run.py captures Rostra's response to one request (status, headers, body) into two files and
serves this app with the same uvicorn settings and worker count as ``rostra serve``. Whatever this
app reaches is what any Python web application can reach on this machine with that server, so
Rostra's figures are reported as a share of it.

    python bench/bare_app.py --port 8123 --workers 2 --body FILE --headers FILE.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_BODY_ENV = "BENCH_BARE_BODY"
_HEADERS_ENV = "BENCH_BARE_HEADERS"


def _load() -> tuple[bytes, list[tuple[bytes, bytes]]]:
    # Read at import time, in each worker, so serving a request touches no file.
    body_file = os.environ.get(_BODY_ENV)
    if not body_file:
        return b"", []
    with open(body_file, "rb") as fh:
        body = fh.read()
    with open(os.environ[_HEADERS_ENV], encoding="utf-8") as fh:
        pairs = json.load(fh)
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]
    return body, headers


_BODY, _HEADERS = _load()
_START: Message = {"type": "http.response.start", "status": 200, "headers": _HEADERS}
_BODY_MESSAGE: Message = {"type": "http.response.body", "body": _BODY}


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send(_START)
    await send(_BODY_MESSAGE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--body", required=True, help="file with the response body")
    parser.add_argument("--headers", required=True, help="JSON list of [name, value] pairs")
    args = parser.parse_args()
    os.environ[_BODY_ENV] = os.path.abspath(args.body)
    os.environ[_HEADERS_ENV] = os.path.abspath(args.headers)
    import uvicorn

    # The same keyword arguments ``rostra serve`` passes (see src/rostra/cli.py), so the two
    # differ only in the application.
    uvicorn.run(
        "bare_app:app",
        app_dir=os.path.dirname(os.path.abspath(__file__)),
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
