"""The latest published comments of a site or a thread, for its Atom feeds.

Only what every reader may already see: published comments that were not deleted. Held,
rejected and deleted comments never reach a feed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rostra.domain.errors import N_, NotFound
from rostra.domain.models import Comment, Site, Thread
from rostra.domain.rules import check_external_id
from rostra.services.ports import ReadStore

#: How many comments a feed carries (the newest).
FEED_SIZE = 50


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed's comments, newest first, each with its thread; ``thread`` for a thread's feed."""

    site: Site
    thread: Thread | None
    entries: list[tuple[Comment, Thread]]


def site_feed(store: ReadStore, site: Site) -> Feed:
    return Feed(site, None, store.latest_published(site.id, None, FEED_SIZE))


def thread_feed(store: ReadStore, site: Site, external_id: str) -> Feed:
    thread = store.get_thread(site.id, check_external_id(external_id))
    if thread is None:
        raise NotFound(N_("This thread does not exist."), code="thread-not-found")
    return Feed(site, thread, store.latest_published(site.id, thread.id, FEED_SIZE))
