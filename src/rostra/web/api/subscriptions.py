"""``POST /api/v1/sites/{site}/subscriptions``: follow a thread by e-mail without commenting.

A reader route: the origin check and body limit of its group, and a per-address limit
(``limit="subscribe"``); the service adds its own per-minute limits per reader, client address
and target address, and sends one confirmation mail a day at most (double opt-in). The answer is
the same whether the address was confirmed already or not.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from rostra.i18n import translations
from rostra.services.subscriptions import FollowRequest
from rostra.web import context as web
from rostra.web.api import schemas as s
from rostra.web.headers import cors_headers
from rostra.web.pages.notify import CHECK_MAIL
from rostra.web.requests import read_json, reader_token
from rostra.web.security import client_ip


async def follow(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    data = await read_json(request, s.SubscribeBody)
    token = reader_token(request)
    author = ctx.discussion.author(site, token) if token else None
    service = ctx.subscriptions
    assert service is not None
    lang = web.language(request)
    await web.off_loop_write(
        ctx,
        service.follow,
        site,
        FollowRequest(
            thread_external_id=data.thread,
            email=data.email,
            cadence=data.cadence,
            language=lang,
            client_ip=client_ip(request, ctx.settings.proxy_networks),
            author=author,
        ),
    )
    payload = s.SubscribedOut(message=translations(lang).gettext(CHECK_MAIL))
    headers = {"Cache-Control": "no-store", **cors_headers(request, site)}
    return Response(
        s.encoder.encode(payload), status_code=202, media_type="application/json", headers=headers
    )
