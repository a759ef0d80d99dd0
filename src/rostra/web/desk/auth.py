"""Who is at the moderation desk: the staff session cookie, same-origin checks and CSRF.

The session cookie is HttpOnly and SameSite=Strict, and Secure with the ``__Host-`` prefix
whenever Rostra is served over https (production mode requires it), so no other site, sub-domain
or script can read, set or send it. Every form that changes something must also come from our own
origin (``Origin``/``Sec-Fetch-Site``) and carry the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import N_, Forbidden
from rostra.services.staff import StaffSession
from rostra.web import context as web
from rostra.web.security import is_https, own_origin, request_origin

MAX_FORM_FIELDS = 130


class SignInRequired(Exception):
    """No live staff session: pages redirect to the sign-in form."""


@dataclass(frozen=True, slots=True)
class CookieSpec:
    name: str
    secure: bool


def cookie_spec(request: Request) -> CookieSpec:
    secure = is_https(request)
    return CookieSpec("__Host-rostra-staff" if secure else "rostra-staff", secure)


def session_secret(request: Request) -> str | None:
    return request.cookies.get(cookie_spec(request).name)


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    spec = cookie_spec(request)
    response.set_cookie(
        spec.name, secret, httponly=True, samesite="strict", secure=spec.secure, path="/"
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    spec = cookie_spec(request)
    response.delete_cookie(spec.name, path="/", secure=spec.secure, httponly=True)


def staff_session(request: Request) -> StaffSession:
    """The signed-in staff member, or :class:`SignInRequired`."""
    found = web.context(request).accounts.session(session_secret(request))
    if found is None:
        raise SignInRequired()
    return found


def check_same_origin(request: Request) -> None:
    """Refuse a form sent from any page but our own (cross-site request forgery, framing)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise Forbidden(
            N_("Moderation forms can only be sent from the moderation pages."),
            code="cross-site",
        )
    origin = request_origin(request)
    if origin and origin != own_origin(request, web.context(request).settings.public_url):
        raise Forbidden(
            N_("Moderation forms can only be sent from the moderation pages."),
            code="cross-site",
        )


async def read_form(request: Request) -> dict[str, list[str]]:
    """The form's fields (every value of each), within the request size limit."""
    limit = web.context(request).settings.max_request_bytes
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > limit:
        raise web.PayloadTooLarge(
            N_("The request body is larger than %(limit)d bytes."), limit=limit
        )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise web.UnsupportedMediaType(N_("Send the form as a web form."))
    fields: dict[str, list[str]] = {}
    async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=limit) as form:
        for key, value in form.multi_items():
            if isinstance(value, str):
                fields.setdefault(key, []).append(value)
    return fields


async def checked_form(request: Request, session: StaffSession) -> dict[str, list[str]]:
    """A state-changing form: same origin, then the CSRF token, then its fields."""
    check_same_origin(request)
    fields = await read_form(request)
    web.context(request).accounts.check_csrf(session, first(fields, "csrf"))
    return fields


def first(fields: dict[str, list[str]], name: str, default: str = "") -> str:
    values = fields.get(name)
    return values[0] if values else default
