"""The funding meter: ``GET /embed/{site}/meter?campaign=ID``, a server-rendered fragment.

It works without JavaScript (a host page includes it, or frames it), is accessible (a
``<progress>`` with the goal as its maximum, labelled by the title and described by the
sentence "895 $ raised of 5,000 $"), formats amounts for the reader's locale (rostra.web.money)
and is right-to-left safe (the locale's direction, amounts isolated in ``<bdi>``, ticks placed
with logical properties). ``/static/meter.js`` is the one-line embed: it fetches this fragment,
puts it in a shadow root, and polls the campaign's JSON (rostra.web.api.funding), re-fetching
the fragment only when the totals changed. Both answer with an ETag (304 when unchanged).

A campaign is read from its one row (its totals included): on SQLite only when something was
written since (the data version); on PostgreSQL, a request that finds no read of it under way
in this worker starts one and waits for it, and requests that arrive while one is under way get
the last read's answer if it ended under a second ago (else they wait for the one under way), so
a loaded database slows no meter and a meter is never more than a second behind. Its rendering is
kept in the render cache under the campaign's version, so a busy article's meters cost little.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from babel import Locale
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import N_, NotFound
from rostra.domain.funding import Campaign, GoalType
from rostra.domain.models import Site
from rostra.i18n import translations
from rostra.services.funding import Funding
from rostra.web import context as web
from rostra.web.edge import BASE_KEY
from rostra.web.headers import allowed_origin, frame_policy
from rostra.web.money import all_whole, format_count, format_money, locale_tag, pick_locale
from rostra.web.pages.fragments import base_url
from rostra.web.render import render
from rostra.web.requests import required_query

HTML = "text/html; charset=utf-8"
RAISED = N_("%(raised)s raised of %(goal)s")
CLOSED = N_("This campaign is closed.")
#: Campaigns remembered per worker with the data version they were read at (SQLite).
MAX_REMEMBERED = 1000
#: How old the last read may be to answer a request that arrives while another is under way.
FRESH_SECONDS = 1.0


def funding(request: Request) -> Funding:
    found = web.context(request).funding
    if found is None:
        raise NotFound(N_("This campaign does not exist."), code="campaign-not-found")
    return found


async def read_campaign(request: Request, site: Site, public_id: str) -> Campaign:
    """The campaign, from this worker's memory while nothing was written (SQLite's data
    version), else from its one row (a read under way for it, if any, is shared)."""
    ctx = web.context(request)
    stamp = ctx.reading.change_stamp()
    key = (site.id, public_id)
    known = ctx.campaigns.get(key)
    if stamp is not None and known is not None and known[0] == stamp:
        return known[1]
    if stamp is None:
        return await _shared_read(ctx, funding(request), site, public_id)
    campaign = await web.off_loop(funding(request).campaign, site, public_id)
    if stamp is not None:
        if len(ctx.campaigns) >= MAX_REMEMBERED:
            ctx.campaigns.clear()
        ctx.campaigns[key] = (stamp, campaign)
    return campaign


async def _shared_read(
    ctx: web.WebContext, service: Funding, site: Site, public_id: str
) -> Campaign:
    key = (site.id, public_id)
    reads = ctx.campaign_reads
    pending = reads.get(key)
    seen = ctx.campaign_seen.get(key)
    if pending is not None and seen is not None and time.monotonic() - seen[0] < FRESH_SECONDS:
        return seen[1]
    if pending is None:
        pending = asyncio.ensure_future(web.off_loop(service.campaign, site, public_id))
        reads[key] = pending

        def done(
            ended: asyncio.Future[Campaign], key: tuple[int, str] = key, mine: object = pending
        ) -> None:
            if reads.get(key) is mine:
                del reads[key]
            if not ended.cancelled() and ended.exception() is None:
                if len(ctx.campaign_seen) >= MAX_REMEMBERED:
                    ctx.campaign_seen.clear()
                ctx.campaign_seen[key] = (time.monotonic(), ended.result())

        pending.add_done_callback(done)
    # Shielded: one reader that goes away does not cancel the read the others wait for.
    return await asyncio.shield(pending)


def _bdi(text: str, strong: bool = False) -> Markup:
    inner = Markup("<bdi>{}</bdi>").format(text)
    return Markup("<strong>{}</strong>").format(inner) if strong else inner


def meter_context(campaign: Campaign, lang: str, locale: Locale) -> dict[str, Any]:
    """What the template shows: the sentence (plain for the progress bar's description, with
    isolated amounts for the eye), the ticks and their places."""
    catalogue = translations(lang)
    currency = campaign.currency
    marks = campaign.marks()
    if campaign.goal_type is GoalType.AMOUNT:
        whole = all_whole([campaign.totals.raised_minor, campaign.goal, *marks], currency)

        def shown(n: int) -> str:
            return format_money(n, currency, locale, whole=whole)

        raised, goal = shown(max(campaign.totals.raised_minor, 0)), shown(campaign.goal)
        message = catalogue.gettext(RAISED)
        params = {"raised": raised, "goal": goal}
        marked = {"raised": _bdi(raised, strong=True), "goal": _bdi(goal)}
    else:
        count = campaign.progress()

        def shown(n: int) -> str:
            return format_count(n, locale)

        if campaign.goal_type is GoalType.DONATIONS:
            message = catalogue.ngettext(
                "%(count)s donation of %(goal)s", "%(count)s donations of %(goal)s", count
            )
        else:
            message = catalogue.ngettext(
                "%(count)s donor of %(goal)s", "%(count)s donors of %(goal)s", count
            )
        params = {"count": shown(count), "goal": shown(campaign.goal)}
        marked = {"count": _bdi(params["count"], strong=True), "goal": _bdi(params["goal"])}
    progress = campaign.progress()
    return {
        "campaign": campaign,
        "locale_tag": locale_tag(locale),
        "direction": locale.text_direction,
        "sentence": message % params,
        "sentence_html": Markup(escape(message)) % marked,
        "value": min(progress, campaign.goal),
        "percent": format_count(min(progress * 100 // campaign.goal, 999), locale),
        "ticks": [
            (shown(t), round(t * 100 / campaign.goal, 2)) for t in marks if 0 <= t <= campaign.goal
        ],
        "closed": None if campaign.open else catalogue.gettext(CLOSED),
        "state": campaign_state(campaign),
    }


def campaign_state(campaign: Campaign) -> str:
    """What the script compares with the JSON to know the fragment is out of date."""
    t = campaign.totals
    return f"{t.raised_minor}:{t.donations}:{t.donors}:{campaign.version}"


def render_meter(
    request: Request, site: Site, campaign: Campaign, lang: str, locale: Locale
) -> str:
    """The fragment's HTML (the demo's article page includes it as a host page would)."""
    return render(
        web.context(request).env,
        "meter.html",
        lang,
        site=site,
        root=base_url(request),
        **meter_context(campaign, lang, locale),
    )


def reader_locale(request: Request, lang: str) -> Locale:
    return pick_locale(
        request.query_params.get("locale"), request.headers.get("accept-language"), lang
    )


async def meter_fragment(request: Request) -> Response:
    site = await web.site(request)
    public_id = required_query(request.query_params, "campaign")
    campaign = await read_campaign(request, site, public_id)
    lang = web.language(request)
    locale = reader_locale(request, lang)
    ctx = web.context(request)
    base: str = request.scope[BASE_KEY]
    key = ("meter", site.id, site.allowed_origins, campaign.id, lang, str(locale), base)
    entry = ctx.cache.get(key, campaign.version)
    if entry is None:
        body = render_meter(request, site, campaign, lang, locale).encode()
        entry = ctx.cache.put(key, campaign.version, body, HTML)
    headers = {
        "ETag": entry.etag,
        "Cache-Control": "public, max-age=0, must-revalidate",
        "Vary": "Accept-Language, Origin",
        "Content-Language": lang,
        "Content-Security-Policy": frame_policy(site),
    }
    allowed = allowed_origin(site, request.headers.get("origin"))
    if allowed is not None:
        headers["Access-Control-Allow-Origin"] = allowed
    if request.headers.get("if-none-match") == entry.etag:
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type=HTML, headers=headers)
