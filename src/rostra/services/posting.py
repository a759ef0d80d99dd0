"""Posting and editing a comment: validate, ask moderation, then write it all in one transaction.

Moderation decides first, outside the transaction (it may take a while, and must not hold the
writer lock), and only reads. The comment's transaction then writes the comment, its moderation
record, the audit entry for a hold or rejection the checks decided on their own, and what moderation
keeps about it (its fingerprint, its rate-limit counters): all of it commits, or none of it. An
attempt that is not stored (a nudge, a replay, a closed thread) leaves no fingerprint, but still
counts against the rate limits, as one refused for them does.

:class:`Posting` is mixed into :class:`rostra.services.discussion.Discussion`, whose ``post`` and
``edit`` are these.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from rostra.domain import rules
from rostra.domain.desk import DeskAction, NewAuditEntry
from rostra.domain.errors import (
    N_,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RostraError,
    TooManyRequests,
)
from rostra.domain.models import Author, Comment, CommentStatus, Site
from rostra.domain.webhooks import WebhookEvent
from rostra.services.desk import refuse_banned
from rostra.services.desk_alerts import AlertQueue, enqueue_alert
from rostra.services.formatting import render_markdown
from rostra.services.moderation_port import Decision, Draft, ModerationMemory, Moderator
from rostra.services.ports import NewComment, Store, WriteTransaction
from rostra.services.published import enqueue_published
from rostra.services.subscriptions import Subscriptions, notifications_off, parse_choice
from rostra.services.thread_meta import ThreadKeys, believed_metadata
from rostra.services.tokens import ReaderTokens, new_public_id
from rostra.services.webhooks import enqueue_event

log = logging.getLogger("rostra.services")

MAX_NONCE = 64


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
    # "Notify me of": none, replies (to this comment) or thread; mails in ``language``.
    notify: str = "none"
    language: str = "en"


class Posting:
    """``post`` and ``edit``, over the attributes ``Discussion`` sets."""

    store: Store
    tokens: ReaderTokens
    moderator: Moderator
    clock: Callable[[], datetime]
    thread_keys: ThreadKeys | None
    subscriptions: Subscriptions | None

    @contextmanager
    def _moderated_write(self, draft: Draft) -> Iterator[tuple[WriteTransaction, Decision]]:
        """Moderation's decision on ``draft``, then the one write transaction that stores the
        comment with it, its rate-limit counters counted in it first (see ``_Counts``)."""
        decision = self.moderator.decide(draft)
        counts = _Counts(decision.memory)
        with counts.counted_anyway(self.store), self.store.write() as tx:
            counts.count(tx)
            yield tx, decision

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
        wish = None
        choice = parse_choice(request.notify)
        if self.subscriptions is not None:
            wish = self.subscriptions.wish(
                site,
                choice,
                request.email,
                language=request.language,
                author=author,
                client_ip=request.client_ip,
            )
        elif choice.value != "none":
            raise notifications_off("notify")
        now = self.clock()
        refuse_banned(self.store, site, author, email_hash, now, fresh_reader=request.new_reader)
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
        with self._moderated_write(draft) as (tx, decision):
            status = decision.status
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
                # the transaction rolls back (a thread it created too): nothing is remembered.
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
            if published and decision.review:  # the desk's "To review" queue, with the comment
                tx.set_review(comment.id, now)
            _audit_automated(tx, site, comment, None, decision, now)
            if status in _WEBHOOK_EVENT:  # the site's webhooks, in the comment's transaction
                enqueue_event(tx, site, _WEBHOOK_EVENT[status], comment, now)
            if status is CommentStatus.PENDING:  # its moderators' alerts, in the same transaction
                enqueue_alert(tx, site, comment, AlertQueue.PENDING, now)
            if decision.memory is not None:
                tx.remember_moderation(decision.memory, comment.id)
            if wish is not None and self.subscriptions and status is not CommentStatus.REJECTED:
                # In the comment's transaction, with its confirmation job: all or nothing.
                self.subscriptions.record(tx, wish, thread, comment, now)
            if self.subscriptions is not None:
                # Its subscribers' mails, in the comment's transaction (never for a held one).
                enqueue_published(tx, comment, now)
        if status is CommentStatus.REJECTED:
            raise _rejected(decision)
        return comment

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
        with self._moderated_write(draft) as (tx, decision):
            status = decision.status
            comment = self._comment(tx.get_comment(site.id, public_id))
            rules.check_can_edit(comment, author, site.settings, now)
            if text == comment.body:
                return comment
            if decision.nudge and not confirmed:
                raise CivilityNudge()
            updated = tx.update_body(comment, text, html, comment.author_name, now)
            delta = published_count(status) - published_count(comment.status)
            if status is not comment.status:
                updated = tx.set_status(updated, status)
            if decision.record is not None:
                # The text changed, so what moderation found about the old one no longer holds.
                tx.set_moderation(comment.id, decision.language, decision.record)
                updated = replace(updated, language=decision.language)
                # Likewise its place in the "To review" queue: the new text's alone.
                flag = decision.review and status is CommentStatus.PUBLISHED
                tx.set_review(comment.id, now if flag else None)
            tx.touch_thread(comment.thread_id, delta)
            _audit_automated(tx, site, updated, comment.status.value, decision, now)
            if status is CommentStatus.PENDING and comment.status is not CommentStatus.PENDING:
                enqueue_alert(tx, site, updated, AlertQueue.PENDING, now)  # held on edit
            if decision.memory is not None:
                tx.remember_moderation(decision.memory, comment.id)
            if self.subscriptions is not None and comment.status is not CommentStatus.PUBLISHED:
                # A held comment an edit made publishable is published now (once per comment).
                enqueue_published(tx, updated, now)
        if status is CommentStatus.REJECTED:
            raise _rejected(decision)
        return updated

    @staticmethod
    def _comment(comment: Comment | None) -> Comment:
        if comment is None:
            raise NotFound(N_("This comment does not exist."), code="comment-not-found")
        return comment


class _Counts:
    """The rate-limit counters one comment counts under, whether it is stored or not.

    Moderation read them below their limits; ``count`` counts them in the comment's transaction
    and refuses the comment when one is over its limit after all (another writer took the last
    place meanwhile). When that transaction does not commit, ``counted_anyway`` counts them on
    their own, as far as the rate limits count a refused attempt: up to the stage that refused
    it, or all of them.
    """

    def __init__(self, memory: ModerationMemory | None) -> None:
        self.memory = memory
        self.refused_at: int | None = None

    def count(self, tx: WriteTransaction) -> None:
        memory = self.memory
        if memory is None or not memory.counts:
            return
        counts = memory.counts
        found = tx.count_hits([(c.key, c.window) for c in counts], memory.at)
        over = next((c for c, n in zip(counts, found, strict=True) if n > c.limit), None)
        if over is not None:
            self.refused_at = over.stage
            stamp = int(memory.at.timestamp())
            raise TooManyRequests(
                N_("You are posting too fast. Wait a moment, then try again."),
                retry_after=max(1, over.window - stamp % over.window),
            )

    @contextmanager
    def counted_anyway(self, store: Store) -> Iterator[None]:
        try:
            yield
        except Exception:
            self._count_alone(store)
            raise

    def _count_alone(self, store: Store) -> None:
        memory, upto = self.memory, self.refused_at
        if memory is None:
            return
        keys = [(c.key, c.window) for c in memory.counts if upto is None or c.stage <= upto]
        if not keys:
            return
        try:
            with store.write() as tx:
                tx.count_hits(keys, memory.at)
        except Exception as exc:  # noqa: BLE001 - the comment's own error is the one to report
            log.error("could not count an unstored comment for rate limits: %s", type(exc).__name__)


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
        NewAuditEntry.automated(
            site.id,
            action,
            now,
            comment_id=comment.id,
            comment_public_id=comment.public_id,
            from_status=previous,
            to_status=status.value,
            explanation=decision.reason or "",
            detail=decision.record or "{}",
        )
    )


_WEBHOOK_EVENT = {
    CommentStatus.PUBLISHED: WebhookEvent.PUBLISHED,
    CommentStatus.PENDING: WebhookEvent.HELD,
}


def _rejected(decision: Decision) -> CommentRejected:
    return CommentRejected(decision.message or N_("This site does not accept this comment."))


def published_count(status: CommentStatus) -> int:
    """What a comment of this status adds to its thread's count of published comments."""
    return 1 if status is CommentStatus.PUBLISHED else 0
