"""``POST /api/v1/sites/{site}/preview``: how a comment would look, rendered by the server.

A reader route like posting: the same origin check, body limit and length rules, and the same
renderer, so the preview is exactly what the thread will show. Nothing is stored and no token is
needed. Rendering a long comment takes milliseconds, so it runs off the event loop, and each
client address gets a bounded number of previews a minute.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from rostra.services.preview import preview_html
from rostra.web import context as web
from rostra.web.api import schemas as s
from rostra.web.headers import cors_headers
from rostra.web.requests import read_json


async def preview(request: Request) -> Response:
    """The route's group has checked the origin and counted the address (``limit="preview"``)."""
    site = await web.site(request)
    data = await read_json(request, s.PreviewBody)
    html = await web.off_loop(preview_html, site, data.body)
    headers = {"Cache-Control": "no-store", **cors_headers(request, site)}
    return Response(
        s.encoder.encode(s.PreviewOut(html=html)), media_type="application/json", headers=headers
    )
