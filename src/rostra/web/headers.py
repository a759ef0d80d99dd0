"""The one place response headers are decided: baseline security headers, CORS, frame policy.

Every response gets ``SECURITY_HEADERS`` (by ``SecurityHeaders``, or, for the answers served
before the framework runs, from ``raw_security_headers``). A site's pages may be framed only by
its own origins; the moderation pages by nobody. A browser may read an answer cross-origin only
when the site lists the asking origin.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rostra.domain.models import Site

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

# The moderation pages are private and must not be framed or cached by anyone.
DESK_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}

#: What a browser may send cross-origin to the API (the preflight's answer).
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE",
    "Access-Control-Allow-Headers": "Content-Type, X-Rostra-Reader",
    "Access-Control-Max-Age": "86400",
}


def raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """Headers as ASGI sends them."""
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


RAW_SECURITY_HEADERS = raw(SECURITY_HEADERS)


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response the framework sends, unless the response
    set that header itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                # A response that set one of them itself (a stricter Referrer-Policy) keeps its
                # own: a browser reading two values takes the last one.
                present = {bytes(name).lower() for name, _ in headers}
                headers.extend(h for h in RAW_SECURITY_HEADERS if h[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def allowed_origin(site: Site, origin: str | None) -> str | None:
    """The asking origin, normalised, when the site lets pages there read its answers."""
    if not origin:
        return None
    normal = origin.lower().rstrip("/")
    return normal if site.allows_origin(normal) else None


def cors_headers(request: Request, site: Site | None) -> dict[str, str]:
    allowed = allowed_origin(site, request.headers.get("origin")) if site else None
    if allowed is None:
        return {}
    return {"Access-Control-Allow-Origin": allowed, "Vary": "Origin"}


def frame_policy(site: Site) -> str:
    """CSP for a site's HTML: only this server and the site's own pages may frame it.

    Without it any page could frame a thread and overlay it (clickjacking a vote or a report).
    """
    return " ".join(("frame-ancestors 'self'", *site.allowed_origins))


def site_page_headers(site: Site) -> dict[str, str]:
    """A page of the site's that is never cached, framed only by the site's own pages."""
    return {"Content-Security-Policy": frame_policy(site), "Cache-Control": "no-store"}
