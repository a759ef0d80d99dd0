"""The moderation desk's access groups: signing in, moderators, admins.

Every desk route gets, from its group: the staff session (a page asks for it by redirecting to
the sign-in form; a form sent without one gets a readable 401 page); for a form, the same origin
and then the session's CSRF token, read from the form's fields, which the handler then takes
from ``form_fields``; and errors as readable pages with the right status, never a stack trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rostra.domain.errors import N_, RostraError, Unauthorized
from rostra.services.staff import StaffSession
from rostra.web import context as web
from rostra.web.desk.auth import (
    FIELDS_KEY,
    SESSION_KEY,
    SignInRequired,
    check_same_origin,
    first,
    form_fields,
    staff_session,
)
from rostra.web.desk.pages import error_page
from rostra.web.groups import SAFE_METHODS, Group
from rostra.web.requests import read_fields

Guarded = Callable[..., Awaitable[Response]]


async def same_origin_form(request: Request) -> None:
    """A form must come from our own pages; its fields are read once, here."""
    if request.method in SAFE_METHODS:
        return
    check_same_origin(request)
    request.scope[FIELDS_KEY] = await read_fields(request)


async def csrf_token(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    session: StaffSession = request.scope[SESSION_KEY]
    web.context(request).accounts.check_csrf(session, first(form_fields(request), "csrf"))


async def admin_only(request: Request) -> None:
    session: StaffSession = request.scope[SESSION_KEY]
    web.context(request).accounts.require_admin(session.account)


def as_pages(guarded: Guarded) -> Callable[[Request], Awaitable[Response]]:
    """Refusals as readable desk pages (for the sign-in form, which has no session yet)."""

    async def wrapped(request: Request) -> Response:
        try:
            return await guarded(request)
        except RostraError as exc:
            return error_page(request, exc)

    return wrapped


def with_session(guarded: Guarded) -> Callable[[Request], Awaitable[Response]]:
    """Require a staff session (handed to the handler), and turn refusals into pages."""

    async def wrapped(request: Request) -> Response:
        try:
            session = await web.off_loop(staff_session, request)
        except SignInRequired:
            if request.method == "GET":
                # The query too: a thread page or a queue's later page is where they were.
                query = request.url.query
                target = request.url.path + (f"?{query}" if query else "")
                return RedirectResponse(
                    "/moderation/login?" + urlencode({"next": target}), status_code=303
                )
            return error_page(
                request,
                Unauthorized(N_("Your session has ended. Sign in again."), code="signed-out"),
            )
        request.scope[SESSION_KEY] = session
        try:
            return await guarded(request, session)
        except RostraError as exc:
            return error_page(request, exc, session)

    return wrapped


DESK_ENTRY = Group("desk-sign-in", rules=(same_origin_form,), wrap=as_pages)
MODERATOR = Group("moderator", rules=(same_origin_form, csrf_token), wrap=with_session)
ADMIN = Group("admin", rules=(same_origin_form, csrf_token, admin_only), wrap=with_session)
