"""Who is at the moderation desk: the staff session cookie and the same-origin check.

The session cookie is HttpOnly and SameSite=Strict, and Secure with the ``__Host-`` prefix
whenever Rostra is served over https (production mode requires it), so no other site, sub-domain
or script can read, set or send it. Every form that changes something must also come from our own
origin (``Origin``/``Sec-Fetch-Site``) and carry the session's CSRF token; the desk's route
groups (rostra.web.desk.access) apply both to every form.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import N_, Forbidden
from rostra.services.staff import StaffSession
from rostra.web import context as web
from rostra.web.security import is_https, own_origin, request_origin

#: Where the desk's group rules leave the form's fields and the staff session.
FIELDS_KEY = "rostra.desk_fields"
SESSION_KEY = "rostra.staff_session"


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


def form_fields(request: Request) -> dict[str, list[str]]:
    """The fields of the form this request sent, read and checked by its group's rules
    (rostra.web.desk.access): same origin, and, with a session, its CSRF token."""
    fields: dict[str, list[str]] = request.scope[FIELDS_KEY]
    return fields


def first(fields: dict[str, list[str]], name: str, default: str = "") -> str:
    values = fields.get(name)
    return values[0] if values else default
