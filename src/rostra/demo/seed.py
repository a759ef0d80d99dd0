"""Seed the demo site: the Harbour Courier, its swing-bridge article and the discussion under it.

The discussion in ``content/discussion.toml`` is replayed through the real service layer
(``Discussion`` over ``SqlStore``, reader tokens signed with the app's secret), so every rule a
reader meets applies to the seed too: edits inside the window and before replies, votes never on
one's own comment, a deleted comment kept as a tombstone while its replies live. Only the clock is
scripted, so the comments spread naturally over the days since the article came out.

After the discussion come the demo's followers (``followers.py``): readers subscribed and
confirmed through the subscription service, and comments after them whose mails the demo
server's job runner sends to its sink, so the mailbox shows a notification and a digest at once.

The Courier's reader-funding campaign and its donations come from ``funding_seed.py``; the
webhook secret its demo card payments are signed with from ``donations.py``.

Seeding is idempotent: an existing demo site only gets ``origin`` added to its allowed origins,
and an existing thread is left alone (no second follower, comment, job or mail).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from urllib.parse import urlsplit

from rostra.config import load_settings
from rostra.demo import content, desk_seed
from rostra.demo.content import ARTICLE, SITE_NAME, SITE_SLUG, THREAD_ID, SeedComment
from rostra.demo.desk_seed import DemoDesk, ensure_moderator, seed_desk
from rostra.demo.donations import seed_payments
from rostra.demo.followers import seed_followers
from rostra.demo.funding_seed import seed_campaign
from rostra.domain.models import Author, Site
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.database import create_engines
from rostra.storage.migrate import upgrade
from rostra.storage.repository import SqlStore


class _Step(IntEnum):
    """What happens at a scripted minute; at equal minutes, in this order."""

    POST = 0
    EDIT = 1
    VOTE = 2
    DELETE = 3


@dataclass(frozen=True, slots=True)
class _Event:
    minute: int
    step: _Step
    order: int
    comment: SeedComment
    voter: str = ""
    value: int = 0


class _ScriptedClock:
    """The clock handed to ``Discussion``: it reads whatever time the script last set."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def published_at(now: datetime) -> datetime:
    """When the demo article came out: a few days before ``now``, early in the morning (UTC)."""
    day = (now - timedelta(days=ARTICLE.published_days_ago)).astimezone(UTC)
    return day.replace(
        hour=ARTICLE.published_hour_utc,
        minute=ARTICLE.published_minute_utc,
        second=0,
        microsecond=0,
    )


def article_published(thread_created_at: datetime) -> datetime:
    """The article's publication time, recovered from when its thread got its first comment."""
    return thread_created_at - timedelta(minutes=content.first_minute())


def seed_demo(
    database_url: str,
    origin: str,
    *,
    now: datetime | None = None,
    secret_key: str | None = None,
) -> DemoDesk:
    """Create (once) the demo site and its seeded thread; make sure ``origin`` may embed it.

    ``secret_key`` is the one the demo server runs with (left out: the settings' own), which
    seals the followers' addresses and signs their links.
    Returns how to sign in to the moderation desk (a new password on every run).
    """
    errors = content.problems()
    if errors:
        raise ValueError("the demo script breaks the discussion rules: " + "; ".join(errors))
    settings = load_settings(database_url=database_url, secret_key=secret_key)
    engines = create_engines(settings.database_url)
    try:
        upgrade(engines.write)
        store = SqlStore(engines)
        site = _ensure_site(store, origin)
        if store.get_thread(site.id, THREAD_ID) is None:
            started = now or datetime.now(UTC)
            clock = _ScriptedClock(started)
            tokens = ReaderTokens(Signer(settings.secret_key))
            discussion = Discussion(store, tokens, clock=clock)
            reader_tokens, public_ids = _replay(
                discussion, site, origin, clock, published_at(clock.at)
            )
            seed_desk(
                store,
                tokens,
                site,
                clock.at + timedelta(minutes=20),
                public_ids.get(desk_seed.REPORTED),
                reader_tokens,
            )
            seed_followers(store, settings.secret_key, site, origin, started)
        seed_campaign(engines, site)
        site = seed_payments(store, site, settings.secret_key)
        return ensure_moderator(store, settings.secret_key, site)
    finally:
        engines.dispose()


def allowed_origins(origin: str) -> list[str]:
    """``origin`` and, for a loopback address, its twin, so both spellings of a dev URL work."""
    normal = origin.rstrip("/").lower()
    found = [normal]
    parts = urlsplit(normal)
    twins = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
    if parts.hostname in twins:
        port = f":{parts.port}" if parts.port else ""
        found.append(f"{parts.scheme}://{twins[parts.hostname]}{port}")
    return found


def _ensure_site(store: SqlStore, origin: str) -> Site:
    wanted = allowed_origins(origin)
    site = store.get_site(SITE_SLUG)
    if site is None:
        return store.create_site(SITE_SLUG, SITE_NAME, wanted, {})
    missing = [o for o in wanted if o not in site.allowed_origins]
    if missing:
        site = store.update_site(SITE_SLUG, [*site.allowed_origins, *missing], None)
    return site


def _events() -> Iterator[_Event]:
    for order, c in enumerate(content.COMMENTS):
        yield _Event(c.minute, _Step.POST, order, c)
        if c.edit is not None:
            yield _Event(c.minute + c.edit.minutes_later, _Step.EDIT, order, c)
        for index, (voter, value) in enumerate(c.votes):
            yield _Event(content.vote_minute(c, index), _Step.VOTE, order, c, voter, value)
        if c.deleted_minute is not None:
            yield _Event(c.deleted_minute, _Step.DELETE, order, c)


def _replay(
    discussion: Discussion, site: Site, origin: str, clock: _ScriptedClock, start: datetime
) -> tuple[dict[str, str], dict[str, str]]:
    """Play the script in time order through the use cases, as readers would have.

    Returns the readers' tokens and the comments' public ids, by their keys in the script.
    """
    tokens = {r.key: discussion.tokens.issue(site.id) for r in content.READERS}
    readers = {key: discussion.author(site, token) for key, token in tokens.items()}
    public_ids: dict[str, str] = {}
    url = f"{origin.rstrip('/')}/demo/{THREAD_ID}"
    for event in sorted(_events(), key=lambda e: (e.minute, e.step, e.order)):
        clock.at = start + timedelta(minutes=event.minute)
        c = event.comment
        author: Author = readers[c.reader]
        if event.step is _Step.POST:
            parent = public_ids[c.parent] if c.parent is not None else None
            posted = discussion.post(
                site,
                PostRequest(
                    thread_external_id=THREAD_ID,
                    body=c.body,
                    author_name=content.READER_NAMES[c.reader],
                    parent_public_id=parent,
                    url=url,
                    title=ARTICLE.title,
                ),
                author,
            )
            public_ids[c.key] = posted.public_id
        elif event.step is _Step.EDIT:
            assert c.edit is not None
            discussion.edit(site, public_ids[c.key], c.edit.body, author)
        elif event.step is _Step.VOTE:
            discussion.vote(site, public_ids[c.key], event.value, readers[event.voter])
        else:
            discussion.delete(site, public_ids[c.key], author)
    return tokens, public_ids
