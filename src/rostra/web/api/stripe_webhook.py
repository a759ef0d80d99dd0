"""``POST /api/v1/sites/{site}/funding/stripe``: Stripe's webhooks for the site's account.

Not a browser's request: no origin check, no reader token; what authorises it is the
``Stripe-Signature`` header, checked by the service against the site's webhook secret
(rostra.services.stripe_funding). The body is read within the group's limit (413 past it) and
handed over as bytes, since the signature covers them exactly. Any 2xx tells Stripe the event
arrived; a refusal (4xx, problem+json) has Stripe retry it, which is how a refund that comes
before its payment is counted once the payment is in.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import N_
from rostra.web import context as web
from rostra.web.api import schemas as s
from rostra.web.requests import UnsupportedMediaType, media_type, read_body


async def stripe_webhook(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    if media_type(request) != "application/json":
        raise UnsupportedMediaType(N_("Send the request body as application/json."))
    payload = await read_body(request)
    service = ctx.stripe
    assert service is not None
    taken = await web.off_loop_write(
        ctx, service.take_event, site, payload, request.headers.get("stripe-signature")
    )
    out = s.StripeTakenOut(
        received=True,
        event=taken.event_id,
        type=taken.event_type,
        recorded=taken.recorded,
        replayed=taken.replayed,
        ignored=taken.ignored,
    )
    return Response(
        s.encoder.encode(out),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
