"""What every handler needs: settings, the services, templates and caches; and the site a
request is about, and the language to answer in.

Handlers call services only. A service call that does I/O runs off the event loop
(``off_loop``, a bounded thread pool: see docs/adr/0006-blocking-work-off-the-loop.md); only
answers from this worker's memory (a fresh cached site, the render cache) stay on it.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread
from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from rostra.config import Settings
from rostra.domain.errors import N_, NotFound
from rostra.domain.funding import Campaign
from rostra.domain.models import Site
from rostra.i18n import negotiate
from rostra.services.address_limits import (
    AddressLimiter,
    new_reader_limiter,
    preview_limiter,
    subscribe_limiter,
)
from rostra.services.desk import ModerationDesk
from rostra.services.discussion import Discussion
from rostra.services.funding import Funding
from rostra.services.reading import ThreadReading
from rostra.services.reports import ReaderReports
from rostra.services.staff import StaffAccounts
from rostra.services.stripe_funding import StripeDonations
from rostra.services.subscriptions import Subscriptions
from rostra.services.tokens import ReaderTokens
from rostra.services.webhooks import Webhooks
from rostra.web.render import RenderCache

T = TypeVar("T")
P = ParamSpec("P")

MAX_SLUG = 64  # the length of sites.slug
#: The site a request is about, once a rule or handler looked it up (error answers read it).
SITE_KEY = "rostra.site"


@dataclass
class WebContext:
    settings: Settings
    discussion: Discussion
    reading: ThreadReading
    tokens: ReaderTokens
    env: Environment
    cache: RenderCache
    accounts: StaffAccounts
    desk: ModerationDesk
    reports: ReaderReports
    # Per-worker limits on cheap requests that store nothing (rostra.services.address_limits).
    preview_limits: AddressLimiter = field(default_factory=preview_limiter)
    new_reader_limits: AddressLimiter = field(default_factory=new_reader_limiter)
    subscribe_limits: AddressLimiter = field(default_factory=subscribe_limiter)
    # "Notify me of" (rostra.services.subscriptions); None only in an app built without it.
    subscriptions: Subscriptions | None = None
    # Signed webhooks' endpoints (rostra.services.webhooks), for the desk's admins.
    webhooks: Webhooks | None = None
    # Campaigns and the donations ledger (rostra.services.funding): the meter, the desk.
    funding: Funding | None = None
    # Donations through Stripe (rostra.services.stripe_funding): checkout and webhooks.
    stripe: StripeDonations | None = None
    # How many writing service calls of this worker may run at once (see ``off_loop_write``).
    write_slots: int = 1
    write_limiter: anyio.CapacityLimiter | None = None
    sites: dict[str, tuple[float, Site]] = field(default_factory=dict)
    counts: dict[tuple[int, tuple[str, ...]], tuple[int, bytes]] = field(default_factory=dict)
    # (site id, campaign id) -> (data version, campaign): the meter's reads (rostra.web.pages.meter)
    campaigns: dict[tuple[int, str], tuple[int, Campaign]] = field(default_factory=dict)
    # (site id, campaign id) -> the read under way, that concurrent meter requests share
    campaign_reads: dict[tuple[int, str], asyncio.Future[Campaign]] = field(default_factory=dict)
    # (site id, campaign id) -> (when, campaign): the last read that ended, on PostgreSQL
    campaign_seen: dict[tuple[int, str], tuple[float, Campaign]] = field(default_factory=dict)


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.rostra
    return ctx


def language(request: Request) -> str:
    """``?lang=`` when offered, else the best match for ``Accept-Language``."""
    return pick_language(
        context(request).settings,
        request.query_params.get("lang"),
        request.headers.get("accept-language"),
    )


def pick_language(settings: Settings, asked: str | None, accept: str | None) -> str:
    if asked is not None and asked in settings.languages:
        return asked
    return _negotiate(accept, settings.languages, settings.default_language)


@lru_cache(maxsize=512)
def _negotiate(accept: str | None, offered: tuple[str, ...], default: str) -> str:
    return negotiate(accept, offered, default)


def fresh_site(ctx: WebContext, slug: str) -> Site | None:
    """The cached site for ``slug`` while it is fresh, else None (no I/O)."""
    cached = ctx.sites.get(slug)
    if cached is None or time.monotonic() - cached[0] >= ctx.settings.site_cache_seconds:
        return None
    return cached[1]


async def off_loop(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call`` in the bounded thread pool: any service call that may wait on I/O."""
    return await run_in_threadpool(call, *args, **kwargs)


async def off_loop_write(
    ctx: WebContext, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """A service call that writes: off the loop, and at most ``ctx.write_slots`` at a time in
    this worker. On SQLite one (there is one writer at a time anyway): writers queued here wait
    on the event loop instead of as threads fighting for the writer lock and the GIL, which cost
    posting a third of its speed when every post had its own thread."""
    if ctx.write_limiter is None:  # made on the loop, where anyio needs it made
        ctx.write_limiter = anyio.CapacityLimiter(ctx.write_slots)
    bound = functools.partial(call, *args, **kwargs)
    return await anyio.to_thread.run_sync(bound, limiter=ctx.write_limiter)


async def site(request: Request) -> Site:
    """The site named in the path. Sites change rarely: each worker keeps them a few seconds."""
    ctx = context(request)
    known: Site | None = request.scope.get(SITE_KEY)
    if known is not None:
        return known
    slug: str = request.path_params["site"]
    # No site has a longer or unprintable slug, and PostgreSQL refuses a NUL in a query
    # parameter (a 500), so such a slug is answered here without asking the database.
    if len(slug) > MAX_SLUG or not slug.isprintable():
        raise NotFound(
            N_("There is no site called %(site)s."), code="site-not-found", site=slug[:MAX_SLUG]
        )
    now = time.monotonic()
    found = fresh_site(ctx, slug)
    if found is None:
        found = await off_loop(ctx.discussion.site, slug)  # NotFound for an unknown site
        if len(ctx.sites) > 1000:
            ctx.sites.clear()
        ctx.sites[slug] = (now, found)
    request.scope[SITE_KEY] = found
    return found
