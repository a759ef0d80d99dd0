"""Who is asking and from where: client addresses behind trusted proxies, origins."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.requests import Request

from rostra.domain.errors import N_, Forbidden
from rostra.domain.models import Site
from rostra.web.edge import BASE_KEY

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: Request, trusted: Sequence[Network]) -> str:
    """The client's address. ``X-Forwarded-For`` counts only when the peer is a trusted proxy.

    Walking the header from the right and skipping trusted hops means a client cannot spoof its
    address by sending its own ``X-Forwarded-For``: only what our proxies appended is believed.
    """
    peer = request.client.host if request.client else ""
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    nearest = peer  # the farthest address so far that a trusted hop vouches for
    for hop in reversed(hops):
        if not _valid_ip(hop):
            # Not written by a proxy of ours (or written as "address:port"): everything from
            # here leftwards may be the client's own words, so it proves nothing. Falling back
            # to the leftmost hop would hand the address to whoever wrote the header.
            return nearest
        if not _is_trusted(hop, trusted):
            return hop
        nearest = hop
    return nearest


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased; empty when it has none."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def request_origin(request: Request) -> str:
    """The browser's ``Origin`` header, or the origin of ``Referer`` when Origin is absent."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.lower().rstrip("/")
    referer = request.headers.get("referer")
    return origin_of(referer) if referer else ""


def public_base(request: Request) -> str:
    """This server's address as readers reach it, e.g. ``https://comments.example.com``.

    Worked out by ``EdgeGuard`` from ``public_url`` (or, in development, the validated Host),
    never from anything a client can choose freely.
    """
    base: str = request.scope[BASE_KEY]
    return base


def is_https(request: Request) -> bool:
    """Whether readers reach us over https (directly or through a trusted TLS proxy)."""
    return public_base(request).startswith("https://")


def own_origin(request: Request, public_url: str = "") -> str:
    """This server's own origin; ``public_url`` is accepted for callers that pass it."""
    return origin_of(public_url) if public_url else origin_of(public_base(request))


def check_write_origin(request: Request, site: Site, public_url: str) -> None:
    """Refuse a state-changing request that a browser sent from a page the site did not allow.

    Browsers always send ``Origin`` on cross-origin and on POST requests, and a page cannot forge
    it; this check (with JSON-only bodies, which force a CORS preflight) is our CSRF defence, and
    it needs no per-page token, so cached host pages keep working.
    """
    origin = request_origin(request)
    if not origin:
        # Not a browser (a server-side integration or a command-line client): no CSRF risk,
        # since such a caller cannot borrow a victim's ambient credentials.
        if request.headers.get("sec-fetch-site") not in (None, "none", "same-origin"):
            raise Forbidden(
                N_("This request comes from a page that is not allowed."), code="origin-not-allowed"
            )
        return
    if origin == own_origin(request, public_url) or site.allows_origin(origin):
        return
    raise Forbidden(
        N_("Pages at %(origin)s may not post to this site."),
        code="origin-not-allowed",
        origin=origin[:200],
    )
