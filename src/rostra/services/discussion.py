"""The discussion use cases: post, reply, edit, delete, vote and read a thread.

Each writing use case validates first, then does all of its changes in one storage transaction, so
bad input never leaves anything half-written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from rostra.domain import rules
from rostra.domain.clock import utc_now
from rostra.domain.desk import DeskAction, NewAuditEntry, StaffAccount
from rostra.domain.errors import (
    N_,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RostraError,
    Unauthorized,
)
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
from rostra.services.formatting import render_markdown
from rostra.services.ports import NewComment, RootCursor, Store, WriteTransaction
from rostra.services.thread_meta import ThreadKeys, believed_metadata
from rostra.services.tokens import ReaderTokens, new_public_id

MAX_PAGE = 100
MAX_NONCE = 64


@dataclass(frozen=True, slots=True)
class Draft:
    """A comment about to be saved, as the moderation seam sees it."""

    site: Site
    body: str
    author_name: str
    author: Author
    is_reply: bool
    is_edit: bool
    thread_external_id: str = ""
    # The client's address as the web layer derived it (trusted proxies only); moderation hashes
    # it for rate limits and never stores it.
    client_ip: str | None = None
    # The comment being edited (``None`` for a new one).
    comment_id: int | None = None
    # The writer sent no reader token (one was issued for this comment): rate limits count such
    # writes per address, as the reader's own key proves nothing yet.
    new_reader: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """What moderation decided, and what it wants stored with the comment."""

    status: CommentStatus
    language: str | None = None
    # The moderation record as JSON (verdict, phase, reason, scores); never the comment's text.
    record: str | None = None
    # A gettext message id telling the author why a comment was rejected.
    message: str | None = None
    # A hold the author may avoid by rewording (the toxicity classifier alone asked for it): they
    # are told before anything is saved, unless they already saw that and confirmed.
    nudge: bool = False
    # For the audit log when the comment is held or rejected: which check decided, and why, in
    # plain words for moderators (never the comment's text).
    reason: str | None = None
    # Whatever the moderator wants back in ``stored`` (opaque to the services).
    memo: object = field(default=None, compare=False)


class Moderator(Protocol):
    """Decides the status of a new or edited comment. Moderation plugs in here.

    ``decide`` runs before the comment's transaction (it may take a while, or refuse the comment
    outright by raising, e.g. ``TooManyRequests``); ``stored`` runs after the comment committed,
    whatever its status, so the moderator can remember it (fingerprints, history).
    """

    def decide(self, draft: Draft) -> Decision: ...

    def stored(self, draft: Draft, decision: Decision, comment: Comment) -> None: ...


class PublishEverything:
    """The moderator used until a site configures moderation: every comment is published."""

    def decide(self, draft: Draft) -> Decision:
        return Decision(CommentStatus.PUBLISHED)

    def stored(self, draft: Draft, decision: Decision, comment: Comment) -> None:
        return None


class CommentRejected(RostraError):
    """Moderation rejected the comment. It is kept (as rejected) for the moderators' queue."""

    status = 422
    code = "rejected"


CIVILITY_NUDGE = N_(
    "Your comment may break our community guidelines. Would you like to revise it? If you post "
    "it as it is, a moderator will read it before it appears."
)


class CivilityNudge(RostraError):
    """The comment would be held for its tone: nothing was saved, so the author may revise it.

    Sending it again with ``confirmed`` stores it, held for a moderator (Coral's approach).
    """

    status = 422
    code = "civility-nudge"

    def __init__(self) -> None:
        super().__init__(CIVILITY_NUDGE)


@dataclass(frozen=True, slots=True)
class PostRequest:
    """A reader's new comment or reply."""

    thread_external_id: str
    body: str
    author_name: str | None = None
    email: str | None = None
    parent_public_id: str | None = None
    url: str = ""
    title: str = ""
    client_nonce: str | None = None
    # The client's address, derived by the web layer behind trusted proxies only.
    client_ip: str | None = None
    # The author saw the civility nudge for this text and posts it anyway (held for review).
    confirmed: bool = False
    # The CMS's signature of (thread, url, title); see rostra.services.thread_meta.
    thread_signature: str | None = None
    # No reader token came with the request: the web layer issued one for this comment.
    new_reader: bool = False


class Discussion:
    """The use cases of the comment thread, for one store."""

    def __init__(
        self,
        store: Store,
        tokens: ReaderTokens,
        moderator: Moderator | None = None,
        clock: Callable[[], datetime] = utc_now,
        thread_keys: ThreadKeys | None = None,
    ) -> None:
        self.store = store
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
    def post(self, site: Site, request: PostRequest, author: Author) -> Comment:
        settings = site.settings
        external_id = rules.check_external_id(request.thread_external_id)
        body = rules.validate_body(request.body, settings)
        name = rules.validate_name(request.author_name, settings)
        if not settings.allow_guests and author.account_id is None:
            raise Forbidden(
                N_("This site only accepts comments from signed-in readers."), code="guests-off"
            )
        meta = believed_metadata(
            self.thread_keys,
            site,
            external_id,
            rules.check_url(request.url),
            rules.check_title(request.title),
            request.thread_signature,
        )
        nonce = request.client_nonce
        if nonce is not None and not (0 < len(nonce) <= MAX_NONCE and nonce.isprintable()):
            raise InvalidInput(
                N_("The request nonce is malformed."), field="nonce", code="invalid-nonce"
            )
        email_hash = self.tokens.email_hash(request.email) if request.email else None
        now = self.clock()
        refuse_banned(self.store, site, author, email_hash, now)
        html = render_markdown(body)
        draft = Draft(
            site,
            body,
            name,
            author,
            request.parent_public_id is not None,
            False,
            thread_external_id=external_id,
            client_ip=request.client_ip,
            new_reader=request.new_reader,
        )
        decision = self.moderator.decide(draft)
        status = decision.status
        with self.store.write() as tx:
            thread = tx.get_or_create_thread(
                site.id, external_id, meta.url, meta.title, now, settings.auto_create_threads
            )
            if thread is None:
                raise NotFound(N_("This thread does not exist."), code="thread-not-found")
            if thread.closed:
                raise Forbidden(N_("This thread is closed for comments."), code="thread-closed")
            parent = None
            if request.parent_public_id is not None:
                parent = tx.get_comment(site.id, request.parent_public_id)
                if parent is None or parent.thread_id != thread.id:
                    raise NotFound(
                        N_("The comment you reply to does not exist."), code="parent-not-found"
                    )
                if parent.is_deleted:
                    raise Conflict(
                        N_("The comment you reply to was deleted."), code="parent-deleted"
                    )
                if parent.status is not CommentStatus.PUBLISHED:
                    raise Conflict(
                        N_("The comment you reply to is not published."),
                        code="parent-not-published",
                    )
            if nonce is not None and tx.nonce_used(thread.id, nonce):
                raise Conflict(N_("This comment was already posted."), code="replayed")
            if decision.nudge and not request.confirmed:
                # Raised once every other check passed, so "post anyway" cannot fail on them;
                # the transaction rolls back (a thread it created too) and ``stored`` never runs.
                raise CivilityNudge()
            comment = tx.insert_comment(
                NewComment(
                    public_id=new_public_id(),
                    thread_id=thread.id,
                    parent=parent,
                    author_name=name,
                    reader_key=author.reader_key,
                    account_id=author.account_id,
                    email_hash=email_hash,
                    body=body,
                    html=html,
                    status=status,
                    created_at=now,
                    client_nonce=nonce,
                    language=decision.language,
                    moderation=decision.record,
                )
            )
            published = status is CommentStatus.PUBLISHED
            if published and meta.signed and (meta.url, meta.title) != (thread.url, thread.title):
                tx.update_thread(thread.id, meta.url, meta.title)
            tx.touch_thread(thread.id, 1 if published else 0)
            _audit_automated(tx, site, comment, None, decision, now)
        self.moderator.stored(draft, decision, comment)
        if status is CommentStatus.REJECTED:
            raise _rejected(decision)
        return comment

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

    def edit(
        self, site: Site, public_id: str, body: str, author: Author, *, confirmed: bool = False
    ) -> Comment:
        """Change one's own comment; ``confirmed``: the author saw the civility nudge."""
        text = rules.validate_body(body, site.settings)
        html = render_markdown(text)
        now = self.clock()
        # Moderation runs before the write transaction (it may take a while, and must not hold
        # the writer lock), so the same checks run once here and again inside the transaction.
        current = self._comment(self.store.get_comment(site.id, public_id))
        rules.check_can_edit(current, author, site.settings, now)
        if text == current.body:
            return current
        refuse_banned(self.store, site, author, None, now)
        draft = Draft(
            site,
            text,
            current.author_name,
            author,
            current.parent_id is not None,
            True,
            comment_id=current.id,
        )
        decision = self.moderator.decide(draft)
        status = decision.status
        with self.store.write() as tx:
            comment = self._comment(tx.get_comment(site.id, public_id))
            rules.check_can_edit(comment, author, site.settings, now)
            if text == comment.body:
                return comment
            if decision.nudge and not confirmed:
                raise CivilityNudge()
            updated = tx.update_body(comment, text, html, comment.author_name, now)
            delta = _published(status) - _published(comment.status)
            if status is not comment.status:
                updated = tx.set_status(updated, status)
            if decision.record is not None:
                # The text changed, so what moderation found about the old one no longer holds.
                tx.set_moderation(comment.id, decision.language, decision.record)
                updated = replace(updated, language=decision.language)
            tx.touch_thread(comment.thread_id, delta)
            _audit_automated(tx, site, updated, comment.status.value, decision, now)
        self.moderator.stored(draft, decision, updated)
        if status is CommentStatus.REJECTED:
            raise _rejected(decision)
        return updated

    def delete(self, site: Site, public_id: str, author: Author) -> Comment:
        now = self.clock()
        with self.store.write() as tx:
            comment = self._comment(tx.get_comment(site.id, public_id))
            rules.check_is_author(comment, author)
            if comment.is_deleted:
                raise Conflict(N_("This comment was already deleted."), code="already-deleted")
            deleted = tx.mark_deleted(comment, now)
            tx.touch_thread(comment.thread_id, -_published(comment.status))
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
    @staticmethod
    def _comment(comment: Comment | None) -> Comment:
        if comment is None:
            raise NotFound(N_("This comment does not exist."), code="comment-not-found")
        return comment

    def _cursor(self, site: Site, thread_id: int, cursor: str) -> RootCursor:
        public_id = rules.decode_cursor(cursor)
        last = self.store.get_comment(site.id, public_id) if public_id else None
        if last is None or last.thread_id != thread_id or last.parent_id is not None:
            raise InvalidInput(
                N_("The page cursor is not valid."), field="cursor", code="invalid-cursor"
            )
        return RootCursor(created_at=last.created_at, score=last.score, id=last.id)


def _audit_automated(
    tx: WriteTransaction,
    site: Site,
    comment: Comment,
    previous: str | None,
    decision: Decision,
    now: datetime,
) -> None:
    """Write down a hold or rejection the moderation checks decided on their own."""
    status = decision.status
    if status not in (CommentStatus.PENDING, CommentStatus.REJECTED) or status.value == previous:
        return
    action = DeskAction.AUTO_HOLD if status is CommentStatus.PENDING else DeskAction.AUTO_REJECT
    tx.add_audit(
        NewAuditEntry(
            site_id=site.id,
            action=action,
            actor_id=None,
            actor_name="rostra",
            created_at=now,
            comment_id=comment.id,
            comment_public_id=comment.public_id,
            from_status=previous,
            to_status=status.value,
            explanation=decision.reason or "",
            detail=decision.record or "{}",
        )
    )


def _thread_audit(
    site: Site, staff: StaffAccount, thread: Thread, url: str, title: str, now: datetime
) -> NewAuditEntry:
    """Who changed a thread's title or address, from what to what (only what changed)."""
    detail: dict[str, object] = {"thread": thread.external_id}
    if title != thread.title:
        detail["title"] = {"from": thread.title, "to": title}
    if url != thread.url:
        detail["url"] = {"from": thread.url, "to": url}
    return NewAuditEntry(
        site_id=site.id,
        action=DeskAction.EDIT_THREAD,
        actor_id=staff.id,
        actor_name=staff.display_name,
        created_at=now,
        detail=json.dumps(detail, sort_keys=True),
    )


def _rejected(decision: Decision) -> CommentRejected:
    return CommentRejected(decision.message or N_("This site does not accept this comment."))


def _published(status: CommentStatus) -> int:
    return 1 if status is CommentStatus.PUBLISHED else 0


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
