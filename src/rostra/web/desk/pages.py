"""The moderation UI: server-rendered pages for sign-in, queues, one comment in context, bans and
the audit log, and the forms that decide. Works without JavaScript; ``desk.js`` adds keyboard
shortcuts. Each handler gets the staff session and its form's checked fields from its route's
group (rostra.web.desk.access), which also turns errors into readable pages with the right
status, never a stack trace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from rostra.domain.desk import (
    GROUNDS_LABELS,
    REPORT_REASON_LABELS,
    AuditEntry,
    DeskAction,
    Grounds,
    ReportReason,
    Role,
)
from rostra.domain.errors import N_, InvalidInput, RostraError, TooManyRequests
from rostra.domain.models import Site
from rostra.i18n import translations
from rostra.services.desk import BAN_DAYS, QUEUES, DecisionRequest
from rostra.services.staff import StaffSession
from rostra.web import context as web
from rostra.web.desk.auth import (
    clear_session_cookie,
    first,
    form_fields,
    session_secret,
    set_session_cookie,
)
from rostra.web.desk.wording import audit_facts, decision_text, json_object
from rostra.web.headers import DESK_PAGE_HEADERS
from rostra.web.render import render
from rostra.web.requests import digits
from rostra.web.security import client_ip

DONE_MESSAGES = {
    "approve": (N_("%(num)d comment approved."), N_("%(num)d comments approved.")),
    "reject": (N_("%(num)d comment rejected."), N_("%(num)d comments rejected.")),
    "spam": (N_("%(num)d comment marked as spam."), N_("%(num)d comments marked as spam.")),
    "ban": (N_("%(num)d author banned."), N_("%(num)d authors banned.")),
    "lift_ban": (N_("%(num)d ban lifted."), N_("%(num)d bans lifted.")),
}


def page(
    request: Request,
    template: str,
    status: int = 200,
    session: StaffSession | None = None,
    **context: Any,
) -> HTMLResponse:
    ctx = web.context(request)
    lang = web.language(request)
    html = render(
        ctx.env,
        template,
        lang,
        staff=session.account if session else None,
        csrf=session.csrf_token if session else "",
        grounds_labels=GROUNDS_LABELS,
        reason_labels=REPORT_REASON_LABELS,
        ban_days=BAN_DAYS,
        queues=QUEUES,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=DESK_PAGE_HEADERS)


def error_page(
    request: Request, exc: RostraError, session: StaffSession | None = None
) -> HTMLResponse:
    gettext = translations(web.language(request)).gettext
    response = page(
        request,
        "desk/error.html",
        status=exc.status,
        session=session,
        message=exc.translated(gettext),
        code=exc.code,
    )
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _safe_next(value: str, default: str = "/moderation/") -> str:
    """Only our own moderation pages: never an open redirect to another site."""
    plain = all(ch.isprintable() and not ch.isspace() for ch in value) and len(value) < 500
    if plain and value.startswith("/moderation/") and "//" not in value and "\\" not in value:
        return value
    return default


# -- signing in and out ----------------------------------------------------------------------


async def sign_in_form(request: Request) -> Response:
    accounts = web.context(request).accounts
    if await web.off_loop(accounts.session, session_secret(request)) is not None:
        return RedirectResponse("/moderation/", status_code=303)
    return page(request, "desk/login.html", next=_safe_next(request.query_params.get("next", "")))


async def sign_in(request: Request) -> Response:
    ctx = web.context(request)
    fields = form_fields(request)
    username = first(fields, "username")[:200]
    try:
        secret, _ = await web.off_loop(
            ctx.accounts.sign_in,
            username,
            first(fields, "password"),
            client_ip(request, ctx.settings.proxy_networks) or None,
        )
    except RostraError as exc:
        if exc.status in (401, 429):
            gettext = translations(web.language(request)).gettext
            again = page(
                request,
                "desk/login.html",
                status=exc.status,
                error=exc.translated(gettext),
                username=username if exc.status == 401 else "",
                next=_safe_next(first(fields, "next")),
            )
            if isinstance(exc, TooManyRequests):
                again.headers["Retry-After"] = str(exc.retry_after)
            return again
        return error_page(request, exc)
    response = RedirectResponse(
        _safe_next(first(fields, "next")), status_code=303, headers=DESK_PAGE_HEADERS
    )
    set_session_cookie(response, request, secret)
    return response


async def sign_out(request: Request, session: StaffSession) -> Response:
    await web.off_loop(web.context(request).accounts.sign_out, session_secret(request))
    response = RedirectResponse("/moderation/login", status_code=303, headers=DESK_PAGE_HEADERS)
    clear_session_cookie(response, request)
    return response


# -- reading ---------------------------------------------------------------------------------


async def home(request: Request, session: StaffSession) -> Response:
    sites = await web.off_loop(web.context(request).desk.sites, session.account)
    return page(request, "desk/home.html", session=session, sites=sites)


async def desk_site(request: Request, session: StaffSession) -> Site:
    """The site in the path, when this staff member moderates it (else 404, or 403)."""
    slug = request.path_params["site"][: web.MAX_SLUG]
    return await web.off_loop(web.context(request).desk.site, session.account, slug)


def _after(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "")
    if not value:
        return None
    number = digits(value)
    if number is None:
        raise InvalidInput(N_("The page cursor is not valid."), code="invalid-cursor")
    return number


def _done(request: Request) -> str | None:
    action = request.query_params.get("done", "")
    count = request.query_params.get("n", "1")
    if action not in DONE_MESSAGES or not count.isdigit() or len(count) > 4:
        return None
    singular, plural = DONE_MESSAGES[action]
    n = int(count)
    text = translations(web.language(request)).ngettext(singular, plural, n)
    return text % {"num": n}


def _back(request: Request) -> str:
    """This page again after a decision, without the last decision's notice: ``decide`` adds
    its own, and carrying the old one along would grow the address with every decision."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("done", "n")]
    return request.url.path + ("?" + urlencode(kept) if kept else "")


async def site_home(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    return RedirectResponse(f"/moderation/{site.slug}/queue/pending", status_code=303)


async def queue(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    listing = await web.off_loop(
        web.context(request).desk.queue,
        site,
        request.path_params["queue"][:16],
        _after(request, "after"),
    )
    return page(
        request,
        "desk/queue.html",
        session=session,
        site=site,
        listing=listing,
        counts=listing.counts,
        records={i.comment.id: _record(i.moderation) for i in listing.items},
        done=_done(request),
        back=_back(request),
    )


async def case(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    found = await web.off_loop(
        web.context(request).desk.case, site, request.path_params["comment"][:32]
    )
    return page(
        request,
        "desk/case.html",
        session=session,
        site=site,
        case=found,
        record=_record(found.item.moderation),
        history_records={i.comment.id: _record(i.moderation) for i in found.history.recent},
        **_audit_words(request, found.audit),
        done=_done(request),
        back=request.url.path,
    )


async def bans(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    return page(
        request,
        "desk/bans.html",
        session=session,
        site=site,
        bans=await web.off_loop(web.context(request).desk.bans, site),
        now=datetime.now(UTC),
        done=_done(request),
    )


async def audit(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    entries = await web.off_loop(web.context(request).desk.audit, site, _after(request, "before"))
    return page(
        request,
        "desk/audit.html",
        session=session,
        site=site,
        entries=entries,
        **_audit_words(request, entries),
        next_before=entries[-1].id if len(entries) == 50 else None,
    )


def _audit_words(request: Request, entries: list[AuditEntry]) -> dict[str, Any]:
    """Each entry's decision and facts as translated text, for the audit templates."""
    catalogue = translations(web.language(request))
    return {
        "decisions": {e.id: decision_text(e, catalogue.gettext) for e in entries},
        "facts": {e.id: audit_facts(e, catalogue.gettext, catalogue.ngettext) for e in entries},
    }


# -- deciding --------------------------------------------------------------------------------


async def decide(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    fields = form_fields(request)
    # A button on one comment sends "action:id"; the bulk buttons send the action and the
    # checked ids.
    one = first(fields, "one")
    action_text, _sep, one_id = one.partition(":") if one else (first(fields, "action"), "", "")
    ids = [one_id] if one else [i for i in fields.get("ids", []) if i]
    try:
        action = DeskAction(action_text)
    except ValueError:
        raise InvalidInput(N_("Choose a decision."), code="invalid-action") from None
    grounds_text = first(fields, "grounds")
    try:
        grounds = Grounds(grounds_text) if grounds_text else None
    except ValueError:
        raise InvalidInput(
            N_("Choose one of the offered grounds."), code="invalid-grounds"
        ) from None
    days_text = first(fields, "ban_days", "permanent")
    if days_text == "permanent":
        days = None
    elif (number := digits(days_text, 4)) is not None:
        days = number
    else:
        raise InvalidInput(N_("Choose a ban length."), code="invalid-ban")
    changed = await web.off_loop_write(
        web.context(request),
        web.context(request).desk.decide,
        session.account,
        site,
        DecisionRequest(action, ids, grounds, first(fields, "explanation"), days),
    )
    target = _safe_next(first(fields, "next"), f"/moderation/{site.slug}/queue/pending")
    glue = "&" if "?" in target else "?"
    flash = urlencode({"done": action.value, "n": len(changed)})
    return RedirectResponse(f"{target}{glue}{flash}", status_code=303, headers=DESK_PAGE_HEADERS)


async def lift_ban(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    fields = form_fields(request)
    ban_id = digits(request.path_params["ban"])
    if ban_id is None:
        raise InvalidInput(N_("There is no such ban on this site."), code="ban-not-found")
    await web.off_loop_write(
        web.context(request),
        web.context(request).desk.lift_ban,
        session.account,
        site,
        ban_id,
        first(fields, "explanation"),
    )
    return RedirectResponse(
        f"/moderation/{site.slug}/bans?done=lift_ban&n=1",
        status_code=303,
        headers=DESK_PAGE_HEADERS,
    )


def _record(raw: str | None) -> dict[str, Any]:
    return json_object(raw) if raw else {}


# Referenced by templates for the report reasons' order.
REPORT_REASONS = list(ReportReason)


# -- staff accounts (admins; rostra.web.desk.access.ADMIN checks the role) -------------------


async def _staff_page(
    request: Request, session: StaffSession, status: int = 200, **context: Any
) -> Response:
    ctx = web.context(request)
    accounts = await web.off_loop(ctx.accounts.accounts, session.account)
    sites = await web.off_loop(ctx.desk.all_sites)
    return page(
        request,
        "desk/staff.html",
        status=status,
        session=session,
        accounts=accounts,
        sites=sites,
        site_names={s.id: s.name for s in sites},
        roles=list(Role),
        **context,
    )


async def staff(request: Request, session: StaffSession) -> Response:
    saved = request.query_params.get("saved") == "1"
    return await _staff_page(request, session, request_saved=saved)


async def _site_ids(request: Request, fields: dict[str, list[str]]) -> list[int]:
    wanted = fields.get("sites", [])
    known = {str(s.id): s.id for s in await web.off_loop(web.context(request).desk.all_sites)}
    if any(w not in known for w in wanted):
        raise InvalidInput(N_("Choose sites from the list."), code="invalid-site")
    return [known[w] for w in wanted]


def _role(fields: dict[str, list[str]]) -> Role:
    try:
        return Role(first(fields, "role"))
    except ValueError:
        raise InvalidInput(N_("Choose a role from the list."), code="invalid-role") from None


def _account_id(request: Request) -> int:
    number = digits(request.path_params["account"])
    if number is None:
        raise InvalidInput(N_("There is no such staff account."), code="account-not-found")
    return number


async def staff_add(request: Request, session: StaffSession) -> Response:
    fields = form_fields(request)
    accounts = web.context(request).accounts
    made, password = await web.off_loop(
        accounts.add,
        session.account,
        first(fields, "username"),
        _role(fields),
        await _site_ids(request, fields),
        first(fields, "display_name"),
    )
    return await _staff_page(request, session, new_password=(made.username, password))


async def staff_change(request: Request, session: StaffSession) -> Response:
    fields = form_fields(request)
    accounts = web.context(request).accounts
    account_id = _account_id(request)
    if first(fields, "reset_password"):
        password = await web.off_loop(accounts.reset_password, session.account, account_id)
        listed = await web.off_loop(accounts.accounts, session.account)
        changed = next(a for a in listed if a.id == account_id)
        return await _staff_page(request, session, new_password=(changed.username, password))
    await web.off_loop(
        accounts.change,
        session.account,
        account_id,
        _role(fields),
        await _site_ids(request, fields),
        first(fields, "disabled") == "1",
    )
    return RedirectResponse("/moderation/staff?saved=1", status_code=303, headers=DESK_PAGE_HEADERS)
