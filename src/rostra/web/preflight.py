"""CORS preflight answers: only the site's allowed origins may call its API from a browser."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import RostraError
from rostra.web import context as web
from rostra.web.headers import PREFLIGHT_HEADERS, cors_headers


async def preflight(request: Request) -> Response:
    try:
        site = await web.site(request)
    except RostraError:
        return Response(status_code=404)
    headers = cors_headers(request, site)
    if not headers:
        return Response(status_code=403)
    headers.update(PREFLIGHT_HEADERS)
    return Response(status_code=204, headers=headers)
