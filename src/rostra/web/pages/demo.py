"""The demo site: an invented news article with Rostra embedded under it, and a health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


async def index(request: Request) -> Response:
    return RedirectResponse("/demo/harbour-bridge", status_code=302)


async def article(request: Request) -> Response:
    return PlainTextResponse("demo")
