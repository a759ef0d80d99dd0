"""The discussion use cases: post, reply, edit, delete, vote and read a thread.

Each writing use case validates first, then does all of its changes in one storage transaction, so
bad input never leaves anything half-written. Posting and editing, with moderation, are in
:mod:`rostra.services.posting`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime

from rostra.domain import rules
from rostra.domain.clock import utc_now
from rostra.domain.desk import DeskAction, NewAuditEntry, StaffAccount
from rostra.domain.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from rostra.domain.models import (
    Author,
    Comment,
    CommentStatus,
    Revision,
    Site,
    SortOrder,
    Thread,
    ThreadPage,
    VoteResult,
)
from rostra.services.desk import refuse_banned
from rostra.services.moderation_port import Moderator, PublishEverything
from rostra.services.ports import RootCursor, Store
from rostra.services.posting import (
    CivilityNudge,
    CommentRejected,
    Posting,
    PostRequest,
    published_count,
)
from rostra.services.subscriptions import Subscriptions
from rostra.services.thread_meta import ThreadKeys
from rostra.services.tokens import ReaderTokens

# What the web layer and the commands import from here, with the use cases.
__all__ = ["MAX_PAGE", "CivilityNudge", "CommentRejected", "Discussion", "PostRequest"]

MAX_PAGE = 100


class Discussion(Posting):
    """The use cases of the comment thread, for one store (``post`` and ``edit``: see
    :class:`rostra.services.posting.Posting`)."""

    def __init__(
        self,
        store: Store,
        tokens: ReaderTokens,
        moderator: Moderator | None = None,
        clock: Callable[[], datetime] = utc_now,
        thread_keys: ThreadKeys | None = None,
        subscriptions: Subscriptions | None = None,
    ) -> None:
        self.store = store
        self.subscriptions = subscriptions
        self.tokens = tokens
        self.moderator = moderator or PublishEverything()
        self.clock = clock
        self.thread_keys = thread_keys

    # -- sites and identities -------------------------------------------------------------
    def site(self, slug: str) -> Site:
        site = self.store.get_site(slug)
        if site is None:
            raise NotFound(
                N_("There is no site called %(site)s."), code="site-not-found", site=slug
            )
        return site

    def author(self, site: Site, token: str | None, name: str = "") -> Author:
        """The acting reader; ``token`` is optional for guests who only post."""
        if not token:
            return Author(reader_key=None, display_name=name)
        identity = self.tokens.verify(token, site.id)
        return Author(reader_key=identity.reader_key, display_name=name)

    def require_author(self, site: Site, token: str | None) -> Author:
        if not token:
            raise Unauthorized(N_("This action needs a reader token."), code="token-missing")
        return self.author(site, token)

    # -- writing --------------------------------------------------------------------------
    def update_thread(
        self,
        site: Site,
        external_id: str,
        url: str | None,
        title: str | None,
        *,
        by: StaffAccount | None = None,
    ) -> Thread:
        """Staff move or retitle an article (``None`` keeps a value): the CLI, or ``by`` a
        staff member at the desk, whose change is audited in the same transaction. A change
        to nothing writes nothing."""
        if by is not None and not by.edits_threads(site.id):
            raise Forbidden(
                N_("Only an admin can change a thread's title and address."),
                code="not-thread-editor",
            )
        wanted_id = rules.check_external_id(external_id)
        checked_url = None if url is None else rules.check_url(url)
        checked_title = None if title is None else rules.check_title(title)
        now = self.clock()
        with self.store.write() as tx:
            thread = tx.get_or_create_thread(site.id, wanted_id, "", "", now, False)
            if thread is None:
                raise NotFound(N_("This thread does not exist."), code="thread-not-found")
            new_url = thread.url if checked_url is None else checked_url
            new_title = thread.title if checked_title is None else checked_title
            if (new_url, new_title) == (thread.url, thread.title):
                return thread
            tx.update_thread(thread.id, new_url, new_title)
            if by is not None:
                tx.add_audit(_thread_audit(site, by, thread, new_url, new_title, now))
        found = self.store.get_thread_by_id(thread.id)
        assert found is not None
        return found

    def thread(self, site: Site, external_id: str) -> Thread:
        """One thread of the site as stored (its title, address and count), for staff."""
        thread = self.store.get_thread(site.id, rules.check_external_id(external_id))
        if thread is None:
            raise NotFound(N_("This thread does not exist."), code="thread-not-found")
        return thread

    def delete(self, site: Site, public_id: str, author: Author) -> Comment:
        now = self.clock()
        with self.store.write() as tx:
            comment = self._comment(tx.get_comment(site.id, public_id))
            rules.check_is_author(comment, author)
            if comment.is_deleted:
                raise Conflict(N_("This comment was already deleted."), code="already-deleted")
            deleted = tx.mark_deleted(comment, now)
            tx.touch_thread(comment.thread_id, -published_count(comment.status))
        return deleted

    def vote(self, site: Site, public_id: str, value: int, voter: Author) -> VoteResult:
        voter_key = voter.key
        if voter_key is None:
            raise Unauthorized(N_("Voting needs a reader token."), code="token-missing")
        now = self.clock()
        refuse_banned(self.store, site, voter, None, now)
        with self.store.write() as tx:
            comment = self._comment(tx.get_comment(site.id, public_id))
            rules.check_can_vote(comment, voter, value, site.settings)
            previous = tx.set_vote(comment, voter_key, value, now)
            up = comment.upvotes + (value == 1) - (previous == 1)
            down = comment.downvotes + (value == -1) - (previous == -1)
            if previous != value:
                tx.touch_thread(comment.thread_id, 0)
        return VoteResult(public_id=comment.public_id, upvotes=up, downvotes=down, my_vote=value)

    # -- reading --------------------------------------------------------------------------
    def page(
        self,
        site: Site,
        external_id: str,
        sort: SortOrder,
        cursor: str | None,
        limit: int | None,
    ) -> ThreadPage:
        """One page of roots (``limit=None``: all of them) with their replies."""
        thread = self.store.get_thread(site.id, rules.check_external_id(external_id))
        if thread is None:
            raise NotFound(N_("This thread does not exist."), code="thread-not-found")
        if limit is not None and not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(
                N_("A page holds between 1 and %(max)d comments."),
                field="limit",
                code="invalid-limit",
                max=MAX_PAGE,
            )
        after = self._cursor(site, thread.id, cursor) if cursor else None
        fetch = None if limit is None else limit + 1
        roots = self.store.list_roots(thread.id, sort, after, fetch)
        more = limit is not None and len(roots) > limit
        roots = roots[:limit] if limit is not None else roots
        replies = self.store.list_replies([r.id for r in roots]) if roots else []
        shown = _shown(roots, replies)
        shown_roots = [r for r in roots if r.id in shown]
        shown_replies = [r for r in replies if r.id in shown]
        tree = rules.build_tree(shown_roots, shown_replies, site.settings.display_depth)
        next_cursor = rules.encode_cursor(roots[-1].public_id) if more and roots else None
        return ThreadPage(
            thread=thread,
            sort=sort,
            roots=tree,
            next_cursor=next_cursor,
            total_roots=self.store.count_roots(thread.id),
            total_comments=thread.comment_count,
        )

    def counts(self, site: Site, external_ids: Sequence[str]) -> dict[str, int]:
        if len(external_ids) > 200:
            raise InvalidInput(
                N_("Ask for at most %(max)d threads at once."),
                field="threads",
                code="too-many-threads",
                max=200,
            )
        ids = [rules.check_external_id(e) for e in external_ids]
        found = self.store.counts(site.id, ids)
        return {e: found.get(e, 0) for e in ids}

    def reader_state(
        self, site: Site, external_id: str, author: Author
    ) -> tuple[list[str], dict[str, int]]:
        """The reader's own comments and votes in a thread (to show edit and vote state)."""
        thread = self.store.get_thread(site.id, rules.check_external_id(external_id))
        if thread is None or author.reader_key is None:
            return [], {}
        return (
            self.store.reader_comments(thread.id, author.reader_key),
            self.store.reader_votes(thread.id, author.reader_key),
        )

    def revisions(self, site: Site, public_id: str) -> tuple[Comment, list[Revision]]:
        comment = self._comment(self.store.get_comment(site.id, public_id))
        if comment.status is not CommentStatus.PUBLISHED or comment.is_deleted:
            raise NotFound(N_("This comment does not exist."), code="comment-not-found")
        return comment, self.store.revisions(comment.id)

    def comment(self, site: Site, public_id: str) -> Comment:
        comment = self._comment(self.store.get_comment(site.id, public_id))
        return comment

    # -- helpers --------------------------------------------------------------------------
    def _cursor(self, site: Site, thread_id: int, cursor: str) -> RootCursor:
        public_id = rules.decode_cursor(cursor)
        last = self.store.get_comment(site.id, public_id) if public_id else None
        if last is None or last.thread_id != thread_id or last.parent_id is not None:
            raise InvalidInput(
                N_("The page cursor is not valid."), field="cursor", code="invalid-cursor"
            )
        return RootCursor(created_at=last.created_at, score=last.score, id=last.id)


def _thread_audit(
    site: Site, staff: StaffAccount, thread: Thread, url: str, title: str, now: datetime
) -> NewAuditEntry:
    """Who changed a thread's title or address, from what to what (only what changed)."""
    detail: dict[str, object] = {"thread": thread.external_id}
    if title != thread.title:
        detail["title"] = {"from": thread.title, "to": title}
    if url != thread.url:
        detail["url"] = {"from": thread.url, "to": url}
    return NewAuditEntry.by_staff(
        staff, site.id, DeskAction.EDIT_THREAD, now, detail=json.dumps(detail, sort_keys=True)
    )


def _shown(roots: Sequence[Comment], replies: Sequence[Comment]) -> set[int]:
    """Ids to display: published comments, and deleted ones (tombstones) with a live reply below.

    A deleted comment is kept as a tombstone only while some published, undeleted reply hangs
    beneath it, so a conversation never loses its replies when the comment they answer goes.
    """
    by_id = {c.id: c for c in (*roots, *replies)}
    live_below: set[int] = set()
    for reply in replies:
        if reply.status is CommentStatus.PUBLISHED and not reply.is_deleted:
            parent_id = reply.parent_id
            while parent_id is not None and parent_id not in live_below:
                live_below.add(parent_id)
                parent = by_id.get(parent_id)
                parent_id = parent.parent_id if parent is not None else None
    return {
        c.id
        for c in by_id.values()
        if c.status is CommentStatus.PUBLISHED and (not c.is_deleted or c.id in live_below)
    }
