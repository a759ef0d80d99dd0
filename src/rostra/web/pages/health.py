"""``/healthz``: whether this worker can serve, for load balancers and monitors."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response


async def health(request: Request) -> Response:
    """``ok`` only when the database answers with the schema this code needs (one small read,
    off the event loop); otherwise 503 and a short reason."""
    check: Callable[[], str | None] | None = getattr(request.app.state, "health_check", None)
    problem = await run_in_threadpool(check) if check is not None else None
    headers = {"Cache-Control": "no-store"}
    if problem is not None:
        return PlainTextResponse(problem, status_code=503, headers=headers)
    return PlainTextResponse("ok", headers=headers)
