"""``POST /api/v1/sites/{site}/preview``: how a comment would look, rendered by the server.

A reader route like posting: the same origin check, body limit and length rules, and the same
renderer, so the preview is exactly what the thread will show. Nothing is stored and no token is
needed. Rendering a long comment takes milliseconds, so it runs off the event loop, and each
client address gets a bounded number of previews a minute.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from rostra.services.preview import preview_html
from rostra.web import context as web
from rostra.web.api import schemas as s
from rostra.web.security import check_write_origin, client_ip, cors_headers


async def preview(request: Request) -> Response:
    site = web.site(request)
    ctx = web.context(request)
    check_write_origin(request, site, ctx.settings.public_url)
    data = await web.read_json(request, s.PreviewBody)
    ctx.preview_limits.hit(client_ip(request, ctx.settings.proxy_networks))
    html = await anyio.to_thread.run_sync(preview_html, site, data.body)
    headers = {"Cache-Control": "no-store", **cors_headers(request, site)}
    return Response(
        s.encoder.encode(s.PreviewOut(html=html)), media_type="application/json", headers=headers
    )
