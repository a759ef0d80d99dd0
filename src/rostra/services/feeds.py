"""The latest published comments of a site or a thread, for its Atom feeds.

Only what every reader may already see: published comments that were not deleted. Held,
rejected and deleted comments never reach a feed. ``ThreadReading`` (rostra.services.reading)
reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rostra.domain.models import Comment, Site, Thread

#: How many comments a feed carries (the newest).
FEED_SIZE = 50


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed's comments, newest first, each with its thread; ``thread`` for a thread's feed."""

    site: Site
    thread: Thread | None
    entries: list[tuple[Comment, Thread]]
