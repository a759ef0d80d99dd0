"""The desk's funding page, for admins: a site's campaigns with their totals and the one-tag
embed of each meter, adding a campaign, closing and reopening one, recording an offline
donation (bank transfer, cheque, cash), and each campaign's latest ledger entries (donor names
are private: admins only). The routes are in the ``admin`` group (rostra.web.desk.access): a
moderator gets a 403 page; a form needs our origin and the session's CSRF token.

The donation form carries a key made when the page is drawn, so a form sent twice (a double
click, a reload that resends) counts once: the second answer is a 409 page saying it was
recorded already. Every change is written to the audit log under the signed-in admin's name.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rostra.domain.errors import N_, NotFound, RostraError
from rostra.domain.funding import OFFLINE_METHOD_LABELS, GoalType, plain_amount
from rostra.domain.models import Site
from rostra.domain.webhooks import Actor
from rostra.i18n import translations
from rostra.services.funding import CampaignFields, Funding, OfflineDonation
from rostra.services.staff import StaffSession
from rostra.web import context as web
from rostra.web.desk.auth import first, form_fields
from rostra.web.desk.pages import desk_site, page
from rostra.web.headers import DESK_PAGE_HEADERS
from rostra.web.money import format_money, pick_locale
from rostra.web.pages.fragments import base_url

DONE = {
    "recorded": N_("The donation is recorded."),
    "added": N_("The campaign is added."),
    "closed": N_("The campaign is closed: it takes no new donations; refunds still count."),
    "reopened": N_("The campaign is open again."),
    "edited": N_("The campaign is changed."),
}
DONATION_FIELDS = ("campaign", "amount", "currency", "method", "on", "donor", "note", "key")
CAMPAIGN_FIELDS = ("title", "goal", "currency", "goal_type", "ticks", "starts_on", "ends_on")


def _funding(request: Request) -> Funding:
    found = web.context(request).funding
    if found is None:
        raise NotFound(N_("This campaign does not exist."), code="campaign-not-found")
    return found


def _address(site: Site) -> str:
    return f"/moderation/{site.slug}/funding"


def _actor(session: StaffSession) -> Actor:
    return Actor(session.account.id, session.account.display_name)


def _redirect(site: Site, done: str) -> Response:
    return RedirectResponse(
        f"{_address(site)}?done={done}", status_code=303, headers=DESK_PAGE_HEADERS
    )


async def funding_page(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    done = DONE.get(request.query_params.get("done", ""))
    gettext = translations(web.language(request)).gettext
    return await _page(request, session, site, done=gettext(done) if done else None)


async def record_donation(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    fields = form_fields(request)
    typed = {name: first(fields, name) for name in DONATION_FIELDS}
    form = OfflineDonation(**typed)
    funding = _funding(request)
    try:
        await web.off_loop_write(
            web.context(request), funding.record_offline, site, form, _actor(session)
        )
    except RostraError as exc:
        if exc.status == 404 and exc.code != "campaign-not-found":
            raise
        gettext = translations(web.language(request)).gettext
        return await _page(
            request,
            session,
            site,
            status=exc.status,
            error=exc.translated(gettext),
            error_code=exc.code,
            error_field=exc.field,
            typed=typed,
        )
    return _redirect(site, "recorded")


async def add_campaign(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    fields = form_fields(request)
    typed = {name: first(fields, name) for name in CAMPAIGN_FIELDS}
    given = CampaignFields(**{k: v for k, v in typed.items() if v or k == "title"})
    funding = _funding(request)
    try:
        await web.off_loop_write(
            web.context(request), funding.add_campaign, site, given, _actor(session)
        )
    except RostraError as exc:
        gettext = translations(web.language(request)).gettext
        return await _page(
            request,
            session,
            site,
            status=exc.status,
            campaign_error=exc.translated(gettext),
            error_code=exc.code,
            campaign_typed=typed,
        )
    return _redirect(site, "added")


async def campaign_action(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    action = request.path_params["action"]
    if action not in ("close", "reopen", "edit"):
        raise NotFound(N_("This campaign does not exist."), code="campaign-not-found")
    funding = _funding(request)
    campaign_id = request.path_params["campaign"]
    if action == "edit":
        return await _edit(request, session, site, funding, campaign_id)
    await web.off_loop_write(
        web.context(request),
        funding.set_open,
        site,
        campaign_id,
        action == "reopen",
        _actor(session),
    )
    return _redirect(site, "reopened" if action == "reopen" else "closed")


async def _edit(
    request: Request, session: StaffSession, site: Site, funding: Funding, campaign_id: str
) -> Response:
    """New title, goal, ticks or period; an empty field keeps ticks at their default and the
    period open. The currency and goal type stay (the ledger is in that currency)."""
    fields = form_fields(request)
    typed = {
        name: first(fields, name) for name in ("title", "goal", "ticks", "starts_on", "ends_on")
    }
    given = CampaignFields(**typed)
    try:
        await web.off_loop_write(
            web.context(request),
            funding.update_campaign,
            site,
            campaign_id,
            given,
            _actor(session),
        )
    except RostraError as exc:
        if exc.status == 404:
            raise
        gettext = translations(web.language(request)).gettext
        return await _page(
            request,
            session,
            site,
            status=exc.status,
            edit_error=exc.translated(gettext),
            error_code=exc.code,
            editing=campaign_id,
            edit_typed=typed,
        )
    return _redirect(site, "edited")


async def _page(
    request: Request, session: StaffSession, site: Site, status: int = 200, **context: Any
) -> Response:
    funding = _funding(request)
    lang = web.language(request)
    locale = pick_locale(None, request.headers.get("accept-language"), lang)
    campaigns = await web.off_loop(funding.campaigns, site)
    ledgers = {
        c.public_id: await web.off_loop(funding.entries, site, c.public_id, 20) for c in campaigns
    }

    def money(minor: int, currency: str) -> str:
        return format_money(minor, currency, locale, whole=False)

    def goal(c: Any) -> str:
        if c.goal_type is GoalType.AMOUNT:
            return money(c.goal, c.currency)
        return str(c.goal)

    typed = context.pop("typed", None) or {
        "campaign": campaigns[0].public_id if campaigns else "",
        "currency": campaigns[0].currency if campaigns else "",
        "on": date.today().isoformat(),
        "method": "bank_transfer",
    }
    # A new key for each form drawn, unless the page answers a refused one (its key stays,
    # so sending it again after a fix still counts once).
    typed.setdefault("key", "")
    if not typed["key"] or status < 400:
        typed["key"] = "desk-" + secrets.token_hex(8)
    return page(
        request,
        "desk/funding.html",
        status=status,
        session=session,
        site=site,
        campaigns=campaigns,
        ledgers=ledgers,
        money=money,
        goal=goal,
        plain_goal=lambda c: (
            plain_amount(c.goal, c.currency) if c.goal_type is GoalType.AMOUNT else str(c.goal)
        ),
        plain_ticks=lambda c: ",".join(
            plain_amount(t, c.currency) if c.goal_type is GoalType.AMOUNT else str(t)
            for t in c.ticks
        ),
        plain=plain_amount,
        methods=list(OFFLINE_METHOD_LABELS.items()),
        method_labels=OFFLINE_METHOD_LABELS,
        goal_types=[g.value for g in GoalType],
        typed=typed,
        campaign_typed=context.pop("campaign_typed", None)
        or {"currency": "", "goal_type": "amount"},
        root=base_url(request),
        **context,
    )
