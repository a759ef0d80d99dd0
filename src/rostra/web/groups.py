"""Route groups: who may call a route, and the rules every route of its group gets.

A route is declared through its group (``READER.route(...)``), never bare, so a new handler
cannot forget its checks. Every group sets the body limit that rostra.web.requests enforces. On
top of that:

- ``PUBLIC``: reads anyone may make (and the counts, which a page may ask for by POST).
- ``READER``: what a reader's browser changes. A state-changing method must come from an origin
  the site allows (rostra.web.security.check_write_origin, our CSRF defence); a route may name a
  per-address limit (``limit="preview"``), counted once the origin is known to be allowed.
- ``notify-page`` (rostra.web.routes): the pages notification mails link to; a browser's
  POST must come from this server's own pages (``own_origin_write``).
- The moderation desk's groups (sign-in, moderators, admins) live in rostra.web.desk.access:
  a staff session, the same origin and the session's CSRF token.

The rules run before the handler, so a refusal reads as it did when each handler checked first:
a problem document from the app's error handlers, or, for the desk, a readable page (its groups'
wrapper renders them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rostra.domain.errors import N_, Forbidden
from rostra.web import context as web
from rostra.web.requests import BODY_LIMIT_KEY
from rostra.web.security import check_write_origin, client_ip, own_origin, request_origin

Endpoint = Callable[[Request], Awaitable[Response]]
Rule = Callable[[Request], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Set by ``Group.route`` for the fast-read wrapper (rostra.web.cached): the kind of cached read.
FAST_READ_KINDS = ("json", "fragment", "page")


async def body_limit(request: Request) -> None:
    request.scope[BODY_LIMIT_KEY] = web.context(request).settings.max_request_bytes


async def allowed_write_origin(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    site = await web.site(request)
    check_write_origin(request, site, web.context(request).settings.public_url)


def address_limit(name: str) -> Rule:
    """A per-address limit from the web context (``preview`` -> ``ctx.preview_limits``)."""
    attribute = f"{name}_limits"
    if attribute not in {f.name for f in fields(web.WebContext)}:
        raise ValueError(f"the web context has no limiter {attribute}")

    async def rule(request: Request) -> None:
        ctx = web.context(request)
        limiter = getattr(ctx, attribute)
        limiter.hit(client_ip(request, ctx.settings.proxy_networks))

    return rule


@dataclass(frozen=True)
class Group:
    """An access group: its name (for the route table's listing) and its rules, in order."""

    name: str
    rules: tuple[Rule, ...] = ()
    # Wraps the guarded handler (the desk turns errors into pages and passes the session on).
    wrap: Callable[[Callable[..., Awaitable[Response]]], Endpoint] | None = None
    routes: list[GroupRoute] = field(default_factory=list, compare=False)

    def route(
        self,
        path: str,
        endpoint: Callable[..., Awaitable[Response]],
        methods: Sequence[str],
        *,
        name: str | None = None,
        limit: str | None = None,
        fast_read: str | None = None,
    ) -> Route:
        """``endpoint`` at ``path`` behind this group's rules (and ``limit``'s, when named).

        ``name`` is the API operation's id (the OpenAPI document is built from it);
        ``fast_read`` marks a cached thread read that rostra.web.cached may answer early.
        """
        assert fast_read is None or fast_read in FAST_READ_KINDS
        rules = (body_limit, *self.rules, *((address_limit(limit),) if limit else ()))
        guarded = _guarded(rules, endpoint)
        if self.wrap is not None:
            # Outside the rules: the desk's wrapper renders their refusals as pages, and hands
            # the handler its staff session.
            guarded = self.wrap(guarded)
        route = Route(path, guarded, methods=list(methods), name=name)
        self.routes.append(GroupRoute(route, self.name, limit, fast_read))
        return route


def _guarded(
    rules: tuple[Rule, ...], endpoint: Callable[..., Awaitable[Response]]
) -> Callable[..., Awaitable[Response]]:
    async def call(request: Request, *args: object) -> Response:
        for rule in rules:
            await rule(request)
        return await endpoint(request, *args)

    return call


@dataclass(frozen=True, slots=True)
class GroupRoute:
    """One row of the route table: the route, its group and its options."""

    route: Route
    group: str
    limit: str | None
    fast_read: str | None


async def own_origin_write(request: Request) -> None:
    """A browser's state-changing request must come from this server's own pages (the links of
    notification mails open pages here); a request with no Origin is not a browser's, and the
    signed token in the link is what authorises it."""
    if request.method in SAFE_METHODS:
        return
    origin = request_origin(request)
    if origin and origin != own_origin(request, web.context(request).settings.public_url):
        raise Forbidden(
            N_("Pages at %(origin)s may not post to this site."),
            code="origin-not-allowed",
            origin=origin[:200],
        )


PUBLIC = Group("public")
READER = Group("reader", rules=(allowed_write_origin,))
