"""The reader's gift: the page to choose it, the button's endpoint, and the thank-you page.

``GET /f/{site}/donate?campaign=ID`` shows the campaign's presets, an amount field and once or
monthly; it loads nothing from another origin. ``POST /f/{site}/donate`` (a reader form: the
site's pages or ours may post it) creates the Checkout Session and answers 303 to Stripe's
page: no Stripe script or request reaches the reader before they press "Donate". A post
without an amount (a host page's one-button form) goes to the choosing page instead. Stripe
sends the reader back to ``/f/{site}/thanks`` (paid) or to the choosing page (cancelled). Every
link is built from ``public_url`` (rostra.web.pages.fragments.base_url), never from the Host.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rostra.domain.errors import N_, RostraError
from rostra.domain.funding import Campaign, plain_amount
from rostra.domain.models import Site
from rostra.i18n import translations
from rostra.services.stripe_funding import donation_settings, gift_choices
from rostra.web import context as web
from rostra.web.headers import site_page_headers
from rostra.web.money import all_whole, format_money, pick_locale
from rostra.web.pages.fragments import base_url
from rostra.web.render import render
from rostra.web.requests import read_form

HTML = "text/html; charset=utf-8"


def donate_path(site: Site, campaign: str, lang: str, **extra: str) -> str:
    return f"/f/{site.slug}/donate?" + urlencode({"campaign": campaign, "lang": lang, **extra})


def _page(
    request: Request,
    site: Site,
    campaign: Campaign,
    lang: str,
    *,
    status: int = 200,
    error: str = "",
    notice: str = "",
    amount: str = "",
) -> Response:
    gettext = translations(lang).gettext
    settings = donation_settings(site)
    locale = pick_locale(request.query_params.get("locale"), None, lang)
    offered, least = gift_choices(campaign, settings)
    whole = all_whole([*offered, least], campaign.currency)
    presets = [
        (
            plain_amount(p, campaign.currency),
            format_money(p, campaign.currency, locale, whole=whole),
        )
        for p in offered
    ]
    body = render(
        web.context(request).env,
        "donate.html",
        lang,
        title=gettext("Support: %(title)s") % {"title": campaign.title},
        root=base_url(request),
        canonical=None,
        campaign=campaign,
        site=site,
        presets=presets,
        minimum=format_money(least, campaign.currency, locale, whole=whole),
        monthly=settings.monthly,
        ready=settings.checkout_ready,
        action=f"/f/{site.slug}/donate?" + urlencode({"lang": lang}),
        amount=amount,
        error=error,
        notice=notice,
    )
    return Response(body, status_code=status, media_type=HTML, headers=site_page_headers(site))


async def donate_page(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    lang = web.language(request)
    assert ctx.stripe is not None
    campaign = await web.off_loop(
        ctx.stripe.giving_campaign, site, request.query_params.get("campaign", "")
    )
    notice = (
        translations(lang).gettext(N_("The payment was cancelled; nothing was charged."))
        if request.query_params.get("cancelled") == "1"
        else ""
    )
    return _page(request, site, campaign, lang, notice=notice)


async def donate(request: Request) -> Response:
    """The "Donate" button: off to Stripe's Checkout (303), or back to the form with why not."""
    site = await web.site(request)
    ctx = web.context(request)
    lang = web.language(request)
    assert ctx.stripe is not None
    form = await read_form(request)
    public_id = form.get("campaign", "").strip()
    amount = (form.get("amount") or form.get("preset") or "").strip()
    if not amount:
        return RedirectResponse(donate_path(site, public_id, lang), status_code=303)
    base = base_url(request)
    try:
        url = await web.off_loop(
            ctx.stripe.checkout,
            site,
            public_id,
            amount,
            form.get("frequency", "once"),
            success_url=f"{base}/f/{site.slug}/thanks?"
            + urlencode({"campaign": public_id, "lang": lang})
            + "&session_id={CHECKOUT_SESSION_ID}",
            cancel_url=base + donate_path(site, public_id, lang, cancelled="1"),
            product=translations(lang).gettext(N_("A gift to %(site)s")) % {"site": site.name},
            locale=lang,
        )
    except RostraError as exc:
        if exc.field not in ("amount", "frequency"):
            raise
        campaign = await web.off_loop(ctx.stripe.giving_campaign, site, public_id)
        message = exc.translated(translations(lang).gettext)
        return _page(request, site, campaign, lang, status=exc.status, error=message, amount=amount)
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


async def thanks_page(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    lang = web.language(request)
    assert ctx.funding is not None
    campaign = await web.off_loop(
        ctx.funding.campaign, site, request.query_params.get("campaign", "")
    )
    gettext = translations(lang).gettext
    body = render(
        ctx.env,
        "thanks.html",
        lang,
        title=gettext("Thank you"),
        root=base_url(request),
        canonical=None,
        campaign=campaign,
        site=site,
    )
    return Response(body, media_type=HTML, headers=site_page_headers(site))
