"""The desk's webhooks page, for admins: a site's endpoints, adding one (its secret shown once,
on the page that answers the form, never in an address), editing its URL and events, rotating
its secret (the new one shown once, likewise), disabling, enabling (which resets its count of
failures), deleting, sending a test event, and the delivery log. An endpoint Rostra disabled
after failures in a row is announced at the top: when, after how many, and the last error.
Every change is written to the audit log under the signed-in admin's name. The routes are in
the ``admin`` group (rostra.web.desk.access): a moderator gets a 403 page, a form needs our
origin and the session's CSRF token.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rostra.domain.errors import N_, InvalidInput, NotFound
from rostra.domain.models import Site
from rostra.domain.webhooks import EVENTS, Actor
from rostra.i18n import translations
from rostra.services.staff import StaffSession
from rostra.services.webhooks import Webhooks
from rostra.web import context as web
from rostra.web.desk.auth import first, form_fields
from rostra.web.desk.pages import desk_site, page
from rostra.web.headers import DESK_PAGE_HEADERS
from rostra.web.requests import digits

DONE = {
    "enabled": N_("The endpoint is enabled."),
    "disabled": N_("The endpoint is disabled."),
    "deleted": N_("The endpoint is deleted."),
    "tested": N_("A test event is on its way; its delivery appears below."),
    "edited": N_("The endpoint is changed."),
}
ACTIONS = ("enable", "disable", "delete", "test", "rotate", "edit")


def _hooks(request: Request) -> Webhooks:
    hooks = web.context(request).webhooks
    if hooks is None:
        raise NotFound(N_("This server has no webhooks."), code="webhooks-off")
    return hooks


def _address(site: Site) -> str:
    return f"/moderation/{site.slug}/webhooks"


def _actor(session: StaffSession) -> Actor:
    return Actor(session.account.id, session.account.display_name)


async def webhooks_page(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    done = DONE.get(request.query_params.get("done", ""))
    gettext = translations(web.language(request)).gettext
    return await _page(request, session, site, done=gettext(done) if done else None)


async def add_endpoint(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    fields = form_fields(request)
    hooks = _hooks(request)
    url = first(fields, "url")
    events = fields.get("events", [])
    try:
        endpoint = await web.off_loop_write(
            web.context(request), lambda: hooks.add(site, url, events, _actor(session))
        )
    except InvalidInput as exc:
        gettext = translations(web.language(request)).gettext
        return await _page(
            request,
            session,
            site,
            status=exc.status,
            error=exc.translated(gettext),
            error_code=exc.code,
            typed={"url": url, "events": events},
        )
    # Answered here and never again: the secret is not put in an address or a redirect.
    return await _page(request, session, site, created=endpoint)


async def endpoint_action(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    hooks = _hooks(request)
    endpoint_id = digits(request.path_params["endpoint"])
    action = request.path_params["action"]
    if endpoint_id is None or action not in ACTIONS:
        raise NotFound(N_("This webhook endpoint does not exist."), code="endpoint-not-found")
    ctx = web.context(request)
    actor = _actor(session)
    if action == "delete":
        await web.off_loop_write(ctx, lambda: hooks.remove(site, endpoint_id, actor))
        done = "deleted"
    elif action == "test":
        await web.off_loop_write(ctx, lambda: hooks.send_test(site, endpoint_id))
        done = "tested"
    elif action == "rotate":
        rotated = await web.off_loop_write(
            ctx, lambda: hooks.rotate_secret(site, endpoint_id, actor)
        )
        # Answered here and never again, as a new endpoint's secret is.
        return await _page(request, session, site, created=rotated, rotated=True)
    elif action == "edit":
        return await _edit(request, session, site, hooks, endpoint_id)
    else:
        on = action == "enable"
        await web.off_loop_write(ctx, lambda: hooks.set_enabled(site, endpoint_id, on, actor))
        done = "enabled" if on else "disabled"
    return RedirectResponse(
        f"{_address(site)}?done={done}", status_code=303, headers=DESK_PAGE_HEADERS
    )


async def _edit(
    request: Request, session: StaffSession, site: Site, hooks: Webhooks, endpoint_id: int
) -> Response:
    fields = form_fields(request)
    url = first(fields, "url")
    events = fields.get("events", [])
    actor = _actor(session)
    try:
        await web.off_loop_write(
            web.context(request), lambda: hooks.edit(site, endpoint_id, url, events, actor)
        )
    except InvalidInput as exc:
        gettext = translations(web.language(request)).gettext
        return await _page(
            request,
            session,
            site,
            status=exc.status,
            edit_error=exc.translated(gettext),
            error_code=exc.code,
            editing=endpoint_id,
            edit_typed={"url": url, "events": events},
        )
    return RedirectResponse(
        f"{_address(site)}?done=edited", status_code=303, headers=DESK_PAGE_HEADERS
    )


async def _page(
    request: Request, session: StaffSession, site: Site, status: int = 200, **context: Any
) -> Response:
    hooks = _hooks(request)
    endpoints = await web.off_loop(hooks.endpoints, site)
    log = await web.off_loop(hooks.deliveries, site, 50)
    urls = {e.id: e.url for e in endpoints}
    return page(
        request,
        "desk/webhooks.html",
        status=status,
        session=session,
        site=site,
        endpoints=endpoints,
        turned_off=[e for e in endpoints if not e.enabled and e.disabled_reason],
        deliveries=log,
        urls=urls,
        events=[e.value for e in EVENTS],
        **context,
    )
