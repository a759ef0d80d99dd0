"""The demo's payment path: a reader's gift to the Courier, paid on a checkout page of the
demo's own, counted through the very webhook code that takes Stripe's events.

``rostra demo`` needs no Stripe account. Its site is seeded with a webhook secret derived from
the server's secret key (and a placeholder secret key, so the site takes gifts); its app swaps
the Checkout gateway (rostra.services.stripe_checkout, which would call Stripe) for
:class:`DemoCheckout`, which sends the reader to ``/demo/checkout`` instead. Everything before
is Rostra's real path: the choosing page, the "Donate" button's endpoint and its checks. When
the reader confirms, the demo builds the event Stripe would send (a paid
``checkout.session.completed``, or the first ``invoice.paid`` of a monthly gift), signs it with
the site's webhook secret as Stripe signs, and hands the bytes and the header to
:meth:`rostra.services.stripe_funding.StripeDonations.take_event`: the same signature check,
parsing and ledger as a real webhook. The reader lands back on the article, whose meter moved.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import stripe
from babel.dates import format_date
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from rostra.demo.content import ARTICLE, SITE_NAME, SITE_SLUG, STATIC_URL
from rostra.domain.errors import N_, InvalidInput, NotFound, RostraError
from rostra.domain.funding import check_minor
from rostra.domain.models import Site
from rostra.i18n import translations
from rostra.services.stripe_funding import CheckoutRequest, StripeDonations, donation_settings
from rostra.storage.repository import SqlStore
from rostra.web import context as web
from rostra.web.groups import Group, own_origin_write
from rostra.web.money import format_money, pick_locale
from rostra.web.pages.fragments import base_url
from rostra.web.render import make_environment, render
from rostra.web.requests import read_form

CHECKOUT = "/demo/checkout"
GIVE = "/demo/give"
#: Never sent anywhere: the demo's gateway stands in for Stripe's.
PLACEHOLDER_KEY = "sk_demo_never_sent_anywhere"


def demo_webhook_secret(secret_key: str) -> str:
    """The demo site's webhook secret: the server's own secret key, hashed for this one use."""
    digest = hmac.new(secret_key.encode(), b"rostra-demo-stripe-webhook", hashlib.sha256)
    return "whsec_demo_" + digest.hexdigest()[:32]


def seed_payments(store: SqlStore, site: Site, secret_key: str) -> Site:
    """Give the demo site its webhook secret (and the placeholder key), unless it has some."""
    funding = dict(site.settings.funding)
    if funding.get("stripe_webhook_secret"):
        return site
    funding.update(
        stripe_webhook_secret=demo_webhook_secret(secret_key), stripe_secret_key=PLACEHOLDER_KEY
    )
    return store.update_site(site.slug, None, {"funding": funding})


class DemoCheckout:
    """The CheckoutGateway of the demo: the reader goes to the demo's checkout page."""

    def create_session(self, request: CheckoutRequest) -> str:
        query = {
            "campaign": request.campaign.public_id,
            "amount": str(request.amount_minor),
            "frequency": request.frequency,
            "lang": request.locale,
        }
        return f"{CHECKOUT}?" + urlencode(query)


def install(app: Any) -> None:
    """Swap the Checkout gateway of the app ``create_app`` built for the demo's."""
    ctx = app.app.ctx  # EdgeGuard -> FastReads, which holds the web context
    service: StripeDonations | None = ctx.stripe
    assert service is not None
    service.gateway = DemoCheckout()


def _gift(fields: dict[str, str]) -> tuple[str, int, str]:
    campaign = fields.get("campaign", "")
    raw = fields.get("amount", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise InvalidInput(
            N_("The amount must be more than zero."), field="amount", code="invalid-amount"
        )
    frequency = "monthly" if fields.get("frequency") == "monthly" else "once"
    return campaign, int(raw), frequency


def _event(site: Site, campaign: str, amount: int, currency: str, frequency: str) -> bytes:
    n = secrets.token_hex(8)
    metadata = {"campaign": campaign, "site": site.slug}
    if frequency == "monthly":
        kind = "invoice.paid"
        obj: dict[str, Any] = {
            "id": f"in_demo_{n}",
            "object": "invoice",
            "status": "paid",
            "amount_paid": amount,
            "currency": currency.lower(),
            "customer": f"cus_demo_{n}",
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"metadata": metadata, "subscription": f"sub_demo_{n}"},
            },
        }
    else:
        kind = "checkout.session.completed"
        obj = {
            "id": f"cs_demo_{n}",
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": "paid",
            "amount_total": amount,
            "currency": currency.lower(),
            "customer": f"cus_demo_{n}",
            "payment_intent": f"pi_demo_{n}",
            "metadata": metadata,
        }
    body = {
        "id": f"evt_demo_{n}",
        "object": "event",
        "created": int(time.time()),
        "livemode": False,
        "type": kind,
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


def _page(request: Request, lang: str, **context: object) -> Response:
    body = render(
        make_environment("rostra.demo"),
        "checkout.html",
        lang,
        site_name=SITE_NAME,
        root=base_url(request),
        demo_static=STATIC_URL,
        edition=format_date(datetime.now(UTC), "full", locale=lang),
        **context,
    )
    return HTMLResponse(body, headers={"Content-Language": lang, "Cache-Control": "no-store"})


async def checkout_page(request: Request) -> Response:
    """The demo's stand-in for Stripe's page: the gift, and a button to "pay" it."""
    lang = web.language(request)
    ctx = web.context(request)
    site = await web.off_loop(ctx.discussion.site, SITE_SLUG)
    campaign_id, amount, frequency = _gift(dict(request.query_params))
    assert ctx.stripe is not None
    campaign = await web.off_loop(ctx.stripe.giving_campaign, site, campaign_id)
    check_minor(amount, campaign.currency)
    locale = pick_locale(None, request.headers.get("accept-language"), lang)
    return _page(
        request,
        lang,
        campaign=campaign,
        amount=amount,
        frequency=frequency,
        shown=format_money(amount, campaign.currency, locale, whole=False),
        action=f"{CHECKOUT}?" + urlencode({"lang": lang}),
        cancel=f"/demo/{ARTICLE.slug}?" + urlencode({"lang": lang}),
    )


async def confirm(request: Request) -> Response:
    """The reader "paid": the signed event goes through the webhook's own code."""
    lang = web.language(request)
    ctx = web.context(request)
    site = await web.off_loop(ctx.discussion.site, SITE_SLUG)
    campaign_id, amount, frequency = _gift(await read_form(request))
    assert ctx.stripe is not None
    campaign = await web.off_loop(ctx.stripe.giving_campaign, site, campaign_id)
    payload = _event(site, campaign.public_id, amount, campaign.currency, frequency)
    secret = donation_settings(site).stripe_webhook_secret
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), secret)
    await web.off_loop_write(ctx, ctx.stripe.take_event, site, payload, header)
    back = f"/demo/{ARTICLE.slug}?" + urlencode({"lang": lang, "gift": "1"})
    return RedirectResponse(back, status_code=303)


async def refused(request: Request, exc: RostraError) -> Response:
    lang = web.language(request)
    return _page(request, lang, error=exc.translated(translations(lang).gettext))


def _pages(
    handler: Callable[..., Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except RostraError as exc:
            response = await refused(request, exc)
            response.status_code = exc.status
            return response

    return wrapped


async def give(request: Request) -> Response:
    """ "Give by card": Rostra's own choosing page for the Courier's open campaign."""
    lang = web.language(request)
    ctx = web.context(request)
    site = await web.off_loop(ctx.discussion.site, SITE_SLUG)
    assert ctx.funding is not None
    campaigns = await web.off_loop(ctx.funding.campaigns, site)
    campaign = next((c for c in campaigns if c.open), None)
    if campaign is None:
        raise NotFound(N_("This campaign does not exist."), code="campaign-not-found")
    query = urlencode({"campaign": campaign.public_id, "lang": lang})
    return RedirectResponse(f"/f/{site.slug}/donate?{query}", status_code=303)


def routes() -> list[BaseRoute]:
    """The checkout page and its form, behind a group of their own: the body limit, and the
    form only from this server's pages; any refusal a page."""
    group = Group("demo-checkout", rules=(own_origin_write,), wrap=_pages)
    return [
        group.route(GIVE, give, ["GET"]),
        group.route(CHECKOUT, checkout_page, ["GET"]),
        group.route(CHECKOUT, confirm, ["POST"]),
    ]
