"""Reader reports: a reader flags a published comment, with a reason, once.

A comment reported by ``moderation.reports.threshold`` readers (3 unless the site says otherwise)
enters the moderators' reported queue; it stays visible until a moderator decides, so one group
of readers cannot silence another by reporting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rostra.domain.desk import ReportReason
from rostra.domain.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from rostra.domain.models import Author, CommentStatus, Site
from rostra.services.desk import refuse_banned
from rostra.services.ports import Store

MAX_NOTE = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReaderReports:
    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock

    def report(self, site: Site, public_id: str, reason: str, note: str, reporter: Author) -> int:
        """Record the report; returns how many open reports the comment now has."""
        if reporter.reader_key is None and reporter.account_id is None:
            raise Unauthorized(N_("Reporting needs a reader token."), code="token-missing")
        try:
            why = ReportReason(reason)
        except ValueError:
            raise InvalidInput(
                N_("Choose one of the offered reasons for the report."),
                field="reason",
                code="invalid-reason",
            ) from None
        text = "".join(ch for ch in note if ch.isprintable() or ch == "\n").strip()
        if len(text) > MAX_NOTE:
            raise InvalidInput(
                N_("The note is too long (at most %(max)d characters)."),
                field="note",
                code="note-too-long",
                max=MAX_NOTE,
            )
        key = reporter.reader_key or f"a:{reporter.account_id}"
        now = self.clock()
        refuse_banned(self.store, site, reporter, None, now)
        with self.store.write() as tx:
            comment = tx.get_comment(site.id, public_id)
            if comment is None or comment.is_deleted:
                raise NotFound(N_("This comment does not exist."), code="comment-not-found")
            if comment.status is not CommentStatus.PUBLISHED:
                raise Conflict(
                    N_("This comment is already with the moderators."), code="not-published"
                )
            if _wrote(reporter, comment.reader_key, comment.account_id):
                raise Forbidden(N_("You cannot report your own comment."), code="own-comment")
            return tx.add_report(comment.id, key, why.value, text, now)


def _wrote(reader: Author, reader_key: str | None, account_id: int | None) -> bool:
    by_key = reader.reader_key is not None and reader.reader_key == reader_key
    return by_key or (reader.account_id is not None and reader.account_id == account_id)
