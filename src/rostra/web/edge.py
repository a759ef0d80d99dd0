"""The outermost layer: which host was asked for, and what this server's own address is.

Every request passes here before anything else, cached reads included (see ``FastReads``):

- a ``Host`` that is not one of ``settings.host_names`` is refused (400), so nothing later can
  be tricked into building a link, a cookie or a cache entry from a name a client made up;
- the public base URL (``scheme://host[:port]`` that readers' browsers use) is worked out once
  and left in the scope under ``BASE_KEY``: ``public_url`` when set (always, in production),
  else the request's own scheme and validated host, where a trusted proxy's
  ``X-Forwarded-Proto`` says whether the reader's side was https;
- the request is counted in ``InFlight`` while it runs, for the in-process jobs runner to give
  way to.

This is a few lines rather than Starlette's ``TrustedHostMiddleware`` plus a proxy-headers
middleware because both decisions read the same two headers, once, on the hottest path there is
(see docs/adr/0005-edge.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from rostra.config import Settings
from rostra.web.headers import RAW_SECURITY_HEADERS
from rostra.web.in_flight import InFlight

BASE_KEY = "rostra.base_url"
# Load balancers' health checks name the machine's address, not the site: /healthz answers any.
_ANY_HOST_PATHS = frozenset({"/healthz"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def host_name(host: str) -> str:
    """The name part of a ``Host`` header value (lower case, no port, brackets or final dot),
    or "" when the value is not ``name[:port]`` at all (``a:1@evil``, ``a:b``, ``[::1``)."""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return ""
        name, rest = host[1:end], host[end + 1 :]
    else:
        name, colon, port = host.partition(":")
        rest = colon + port
    if rest and not (rest[0] == ":" and 2 <= len(rest) <= 6 and rest[1:].isdecimal()):
        return ""
    if not rest.isascii():
        return ""
    return name.lower().rstrip(".")


def _trusted(peer: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(ip in net for net in networks)


class EdgeGuard:
    """Refuse unknown hosts; record the public base URL for links, cookies and origin checks;
    count the requests under way in ``in_flight`` (what the in-process jobs runner yields to)."""

    def __init__(self, app: ASGIApp, settings: Settings, in_flight: InFlight | None = None) -> None:
        self.app = app
        self.in_flight = in_flight or InFlight()
        self.names = settings.host_names
        self.public = settings.public_url.rstrip("/")
        if self.public:
            parts = urlsplit(self.public)
            self.public = f"{parts.scheme}://{parts.netloc}".lower() + parts.path.rstrip("/")
        self.proxies = settings.proxy_networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = ""
        forwarded_proto = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"x-forwarded-proto":
                forwarded_proto = value.decode("latin-1").split(",")[0].strip().lower()
        if host_name(host) not in self.names and scope["path"] not in _ANY_HOST_PATHS:
            await _refuse(send)
            return
        if self.public:
            scope[BASE_KEY] = self.public
        else:
            scheme = scope.get("scheme", "http")
            client = scope.get("client")
            if (
                forwarded_proto in ("http", "https")
                and client
                and _trusted(client[0], self.proxies)
            ):
                scheme = forwarded_proto
            scope[BASE_KEY] = f"{scheme}://{host.lower()}"
        self.in_flight.started()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight.ended()


async def _refuse(send: Send) -> None:
    body = b"This server does not answer for that host name.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *RAW_SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
