"""What the thread pages and feeds read beside a thread's page of comments.

The web layer asks these questions of a service, never of the store: whether a thread changed
(its version, for the render cache), whether anything changed (the counts cache), the published
comment a no-JavaScript form names and its thread, and a site's or a thread's feed. Each answer
is only what any reader may already see.
"""

from __future__ import annotations

from rostra.domain.errors import N_, NotFound
from rostra.domain.models import Comment, CommentStatus, Site, Thread
from rostra.domain.rules import check_external_id
from rostra.services.feeds import FEED_SIZE, Feed
from rostra.services.ports import ReadStore


class ThreadReading:
    """Reads for pages and feeds, answered from the read side of the store."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store

    def version(self, site: Site, external_id: str) -> int | None:
        """The thread's version (None for a thread that does not exist yet)."""
        return self.store.thread_version(site.id, external_id)

    def change_stamp(self) -> int | None:
        """A number that moves whenever anything was written; None when there is no such
        counter (then nothing may be cached on it)."""
        return self.store.data_stamp()

    def thread_of(self, comment: Comment) -> Thread:
        thread = self.store.get_thread_by_id(comment.thread_id)
        if thread is None:
            raise NotFound(N_("This thread does not exist."), code="thread-not-found")
        return thread

    def published(self, site: Site, public_id: str) -> Comment | None:
        """The comment when every reader may see it (published, not deleted), else None."""
        found = self.store.get_comment(site.id, public_id)
        if found is None or found.is_deleted or found.status is not CommentStatus.PUBLISHED:
            return None
        return found

    def site_feed(self, site: Site) -> Feed:
        return Feed(site, None, self.store.latest_published(site.id, None, FEED_SIZE))

    def thread_feed(self, site: Site, external_id: str) -> Feed:
        thread = self.store.get_thread(site.id, check_external_id(external_id))
        if thread is None:
            raise NotFound(N_("This thread does not exist."), code="thread-not-found")
        return Feed(site, thread, self.store.latest_published(site.id, thread.id, FEED_SIZE))
