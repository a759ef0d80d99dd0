"""The moderators' desk: queues, a comment in context, decisions, bans and the audit log.

Every decision runs in one write transaction with its audit entry (and the job that lets the site
learn from it, rostra.services.desk_learning), so a comment never changes status without a
statement of reasons on record, and a failed decision changes nothing. A staff
member acts only on the sites they moderate: a comment of another site is refused as forbidden,
even when its id is guessed right.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from rostra.domain.clock import utc_now
from rostra.domain.desk import (
    ACTION_STATUS,
    AuditEntry,
    AuthorRecord,
    Ban,
    DeskAction,
    DeskComment,
    Grounds,
    NewAuditEntry,
    StaffAccount,
    ban_keys,
)
from rostra.domain.errors import N_, Forbidden, InvalidInput, NotFound
from rostra.domain.models import Author, Comment, CommentStatus, Site
from rostra.domain.webhooks import WebhookEvent
from rostra.services.desk_learning import learn_job
from rostra.services.ports import DeskStore, QueueQuery, Store, WriteTransaction
from rostra.services.published import enqueue_published
from rostra.services.webhooks import enqueue_event

MAX_EXPLANATION = 2000
MAX_BULK = 100
QUEUE_PAGE = 25
DEFAULT_REPORT_THRESHOLD = 3
MAX_REPORT_THRESHOLD = 1000
# Ban lengths offered to moderators, in days; ``None`` is permanent.
BAN_DAYS: tuple[int | None, ...] = (1, 7, 30, None)


#: ``review``: published comments the moderation flagged (the toxicity phase's borderline band),
#: readers see them while they wait; approving keeps one published, rejecting removes it.
QUEUES = ("pending", "review", "reported", "rejected", "all")


def report_threshold(site: Site) -> int:
    """Open reports that send a comment to the reported queue (``moderation.reports.threshold``)."""
    section = site.settings.moderation.get("reports")
    value = section.get("threshold") if isinstance(section, dict) else None
    # The moderation policy refuses a bad value (and then holds every comment, saying why); the
    # desk still needs a threshold to list the queue, so it falls back to the default.
    is_number = isinstance(value, int) and not isinstance(value, bool)
    if is_number and 1 <= value <= MAX_REPORT_THRESHOLD:  # type: ignore[operator]
        return value  # type: ignore[return-value]
    return DEFAULT_REPORT_THRESHOLD


class Banned(Forbidden):
    code = "banned"


def refuse_banned(
    store: Store,
    site: Site,
    author: Author,
    email_hash: str | None,
    now: datetime,
    *,
    fresh_reader: bool = False,
) -> None:
    """Raise :class:`Banned` when a ban of this site covers the author (token, account, e-mail).

    ``fresh_reader``: the reader's token was issued with this very request, so no ban can name
    its key yet; only the account and the e-mail are looked up (and nothing when neither is
    given: a first-time guest's post asks the database nothing here)."""
    reader_key = None if fresh_reader else author.reader_key
    keys = ban_keys(reader_key, author.account_id, email_hash)
    if not keys:
        return
    found = store.active_bans(site.id, keys, now)
    if not found:
        return
    ends = [b.expires_at for b in found]
    if any(e is None for e in ends):
        raise Banned(N_("You can no longer comment on this site."))
    until = max(e for e in ends if e is not None)
    raise Banned(
        N_("You cannot comment on this site until %(until)s (UTC)."),
        until=until.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
    )


@dataclass(frozen=True, slots=True)
class QueuePage:
    site: Site
    queue: str
    items: list[DeskComment]
    next_after: int | None
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class CommentCase:
    """Everything a moderator needs to decide about one comment."""

    item: DeskComment
    parent: Comment | None
    replies: list[Comment]
    history: AuthorRecord
    reports: list[tuple[str, str, datetime, bool]]
    audit: list[AuditEntry]


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """A moderator's decision on one or more comments of one site."""

    action: DeskAction
    public_ids: Sequence[str]
    grounds: Grounds | None = None
    explanation: str = ""
    # Ban length in days (``None``: permanent); only for ``BAN``.
    ban_days: int | None = None


class ModerationDesk:
    """The use cases of the moderation UI, for one store."""

    def __init__(self, store: DeskStore, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock

    # -- access ---------------------------------------------------------------------------
    def site(self, staff: StaffAccount, slug: str) -> Site:
        site = self.store.get_site(slug)
        if site is None:
            raise NotFound(
                N_("There is no site called %(site)s."), code="site-not-found", site=slug
            )
        if not staff.moderates(site.id):
            raise Forbidden(
                N_("You do not moderate the site %(site)s."), code="not-your-site", site=slug
            )
        return site

    def all_sites(self) -> list[Site]:
        """Every site (for admins assigning moderators)."""
        return list(self.store.list_sites())

    def sites(self, staff: StaffAccount) -> list[tuple[Site, dict[str, int]]]:
        return [
            (site, self.store.queue_counts(site.id, report_threshold(site)))
            for site in self.store.list_sites()
            if staff.moderates(site.id)
        ]

    # -- reading --------------------------------------------------------------------------
    def queue(self, site: Site, queue: str, after: int | None = None) -> QueuePage:
        threshold = report_threshold(site)
        statuses: tuple[CommentStatus, ...] | None
        min_reports = None
        oldest_first = True
        review = False
        if queue == "pending":
            statuses = (CommentStatus.PENDING,)
        elif queue == "review":
            statuses = (CommentStatus.PUBLISHED,)
            review = True
        elif queue == "reported":
            # Comments readers can still see come first in line: those are doing harm now.
            statuses = (CommentStatus.PUBLISHED, CommentStatus.PENDING)
            min_reports = threshold
        elif queue == "rejected":
            statuses = (CommentStatus.REJECTED, CommentStatus.SPAM)
            oldest_first = False
        elif queue == "all":
            statuses = None
            oldest_first = False
        else:
            raise NotFound(N_("There is no such queue."), code="queue-not-found")
        items = self.store.queue(
            QueueQuery(site.id, statuses, min_reports, oldest_first, after, QUEUE_PAGE + 1, review)
        )
        more = len(items) > QUEUE_PAGE
        items = items[:QUEUE_PAGE]
        next_after = items[-1].comment.id if more and items else None
        counts = self.store.queue_counts(site.id, threshold)
        return QueuePage(site, queue, items, next_after, counts)

    def case(self, site: Site, public_id: str) -> CommentCase:
        item = self.store.desk_comment(site.id, public_id)
        if item is None:
            raise NotFound(N_("This comment does not exist."), code="comment-not-found")
        comment = item.comment
        parent, replies = self.store.context(comment)
        history = self.store.author_history(
            site.id, comment.reader_key, comment.account_id, item.email_hash, 20
        )
        return CommentCase(
            item=item,
            parent=parent,
            replies=replies,
            history=history,
            reports=self.store.reports_of(comment.id),
            audit=self.store.audit(site.id, None, 50, comment_id=comment.id),
        )

    def audit(self, site: Site, before: int | None = None, limit: int = 50) -> list[AuditEntry]:
        return self.store.audit(site.id, before, limit)

    def bans(self, site: Site) -> list[Ban]:
        return self.store.bans(site.id)

    # -- deciding -------------------------------------------------------------------------
    def decide(self, staff: StaffAccount, site: Site, request: DecisionRequest) -> list[Comment]:
        """Apply one decision to every listed comment, all or nothing; returns those it changed.

        Deciding is idempotent: a comment already where the decision would put it (with no open
        report to resolve, no new ban to record) is left alone and not audited again, so a
        replayed or double-clicked form changes nothing twice.
        """
        if request.action not in ACTION_STATUS:
            raise InvalidInput(N_("This is not a decision on comments."), code="invalid-action")
        ids = list(dict.fromkeys(request.public_ids))
        if not ids:
            raise InvalidInput(N_("Select at least one comment."), code="nothing-selected")
        if len(ids) > MAX_BULK:
            raise InvalidInput(
                N_("Decide on at most %(max)d comments at once."), code="too-many", max=MAX_BULK
            )
        explanation = _explanation(request.explanation)
        # Cleaned once here; what follows reads the cleaned text.
        request = replace(request, explanation=explanation)
        grounds = request.grounds
        if request.action is not DeskAction.APPROVE and grounds is None:
            raise InvalidInput(
                N_("Choose the ground for this decision: it is part of the statement of reasons."),
                field="grounds",
                code="grounds-missing",
            )
        if grounds is Grounds.OTHER and not explanation:
            raise InvalidInput(
                N_("Explain the decision when the ground is \u201cother\u201d."),
                field="explanation",
                code="explanation-missing",
            )
        if request.action is DeskAction.BAN and request.ban_days not in BAN_DAYS:
            raise InvalidInput(N_("Choose a ban length."), field="ban_days", code="invalid-ban")
        status = ACTION_STATUS[request.action]
        now = self.clock()
        changed: list[Comment] = []
        with self.store.write() as tx:
            for public_id in ids:
                comment = _own_comment(tx, staff, site, public_id)
                done = self._apply(tx, staff, site, comment, request, status, grounds, now)
                if done is not None:
                    changed.append(done)
        return changed

    def _apply(
        self,
        tx: WriteTransaction,
        staff: StaffAccount,
        site: Site,
        comment: Comment,
        request: DecisionRequest,
        status: CommentStatus,
        grounds: Grounds | None,
        now: datetime,
    ) -> Comment | None:
        previous = comment.status
        if comment.is_deleted and status is CommentStatus.PUBLISHED:
            raise InvalidInput(
                N_("A comment its author deleted cannot be approved."), code="comment-deleted"
            )
        if status is not previous:
            comment = tx.set_status(comment, status)
            shown = (status is CommentStatus.PUBLISHED) - (previous is CommentStatus.PUBLISHED)
            tx.touch_thread(comment.thread_id, 0 if comment.is_deleted else shown)
            if status is CommentStatus.PUBLISHED:
                # Approved: its subscribers' mails, in the decision's transaction.
                enqueue_published(tx, comment, now)
            # The site learns from a decision that overrides or settles the pipeline's.
            job = learn_job(site, comment, previous, now)
            if job is not None:
                tx.enqueue(job, now)
        resolved = tx.resolve_reports(comment.id, now)
        # Any decision is the review a flagged comment waited for: it leaves that queue.
        reviewed = tx.set_review(comment.id, None)
        detail: dict[str, object] = {"resolved_reports": resolved}
        if reviewed:
            detail["reviewed"] = True
        bans: list[dict[str, object]] = []
        if request.action is DeskAction.BAN:
            bans = self._ban_author(tx, staff, site, comment, request, now)
            detail["bans"] = bans
        if status is previous and not resolved and not bans and not reviewed:
            return None
        tx.add_audit(
            NewAuditEntry.by_staff(
                staff,
                site.id,
                request.action,
                now,
                comment_id=comment.id,
                comment_public_id=comment.public_id,
                from_status=previous.value,
                to_status=status.value,
                grounds=(grounds or Grounds.GUIDELINES_MET).value,
                explanation=request.explanation,
                detail=json.dumps(detail, sort_keys=True),
            )
        )
        # The site's webhooks hear of it in the decision's transaction (published too, when so).
        enqueue_event(
            tx,
            site,
            WebhookEvent.DECIDED,
            comment,
            now,
            action=request.action.value,
            from_status=previous.value,
        )
        if status is not previous and status is CommentStatus.PUBLISHED:
            enqueue_event(tx, site, WebhookEvent.PUBLISHED, comment, now)
        return comment

    def _ban_author(
        self,
        tx: WriteTransaction,
        staff: StaffAccount,
        site: Site,
        comment: Comment,
        request: DecisionRequest,
        now: datetime,
    ) -> list[dict[str, object]]:
        email_hash = None
        found = self.store.desk_comment(site.id, comment.public_id)
        if found is not None:
            email_hash = found.email_hash
        keys = ban_keys(comment.reader_key, comment.account_id, email_hash)
        if not keys:
            raise InvalidInput(
                N_(
                    "This comment's author left neither a reader token nor an e-mail address: "
                    "there is nothing to ban. Reject the comment instead."
                ),
                code="nothing-to-ban",
            )
        days = request.ban_days
        expires = now + timedelta(days=days) if days is not None else None
        reason = request.explanation or (request.grounds or Grounds.OTHER).value
        made: list[dict[str, object]] = []
        already = {(b.kind, b.value) for b in tx.active_bans_now(site.id, keys, now)}
        for kind, value in keys:
            if (kind, value) in already:
                continue
            ban = tx.add_ban(site.id, kind, value, reason, staff.display_name, now, expires)
            made.append({"id": ban.id, "kind": kind.value, "days": days})
        return made

    def lift_ban(self, staff: StaffAccount, site: Site, ban_id: int, explanation: str) -> Ban:
        text = _explanation(explanation)
        now = self.clock()
        with self.store.write() as tx:
            ban = tx.lift_ban(site.id, ban_id, now)
            if ban is None:
                raise NotFound(N_("There is no such ban on this site."), code="ban-not-found")
            tx.add_audit(
                NewAuditEntry.by_staff(
                    staff,
                    site.id,
                    DeskAction.LIFT_BAN,
                    now,
                    grounds=Grounds.GUIDELINES_MET.value,
                    explanation=text,
                    detail=json.dumps({"ban": ban.id, "kind": ban.kind.value}),
                )
            )
        return ban


def _own_comment(tx: WriteTransaction, staff: StaffAccount, site: Site, public_id: str) -> Comment:
    found = tx.comment_by_public_id(public_id) if len(public_id) <= 32 else None
    if found is None:
        raise NotFound(N_("This comment does not exist."), code="comment-not-found")
    site_id, comment = found
    if site_id != site.id or not staff.moderates(site_id):
        raise Forbidden(
            N_("This comment belongs to a site you do not moderate here."),
            code="comment-of-another-site",
        )
    return comment


def _explanation(text: str) -> str:
    cleaned = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip()
    if len(cleaned) > MAX_EXPLANATION:
        raise InvalidInput(
            N_("The explanation is too long (at most %(max)d characters)."),
            field="explanation",
            code="explanation-too-long",
            max=MAX_EXPLANATION,
        )
    return cleaned
