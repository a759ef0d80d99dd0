"""Reader reports: a reader flags a published comment, with a reason, once.

A comment reported by ``moderation.reports.threshold`` readers (3 unless the site says otherwise)
enters the moderators' reported queue; it stays visible until a moderator decides, so one group
of readers cannot silence another by reporting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rostra.domain.clock import utc_now
from rostra.domain.desk import ReportReason
from rostra.domain.errors import (
    N_,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from rostra.domain.models import Author, CommentStatus, Site
from rostra.domain.webhooks import WebhookEvent
from rostra.services.desk import refuse_banned, report_threshold
from rostra.services.desk_alerts import AlertQueue, enqueue_alert
from rostra.services.ports import Store
from rostra.services.tokens import address_hash
from rostra.services.webhooks import enqueue_event

MAX_NOTE = 500


class Counters(Protocol):
    """Fixed-window counters: moderation's rate-limit counters in storage implement this
    (``rostra.storage.moderation.SqlModerationState``), each call one short transaction."""

    def hit(self, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class ReportLimits:
    """Reports allowed per hour, per reader and per client address (0: no limit)."""

    per_reader_hour: int = 30
    per_address_hour: int = 60


class ReaderReports:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime] = utc_now,
        *,
        counters: Counters | None = None,
        address_key: bytes = b"",
        limits: ReportLimits | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.counters = counters
        self._address_key = address_key
        self.limits = limits or ReportLimits()

    def report(
        self,
        site: Site,
        public_id: str,
        reason: str,
        note: str,
        reporter: Author,
        client_ip: str | None = None,
    ) -> int:
        """Record the report; returns how many open reports the comment now has.

        Reports are rate-limited per reader and per client address (a keyed hash), so that a
        script with a pile of fresh reader tokens cannot flood the moderators' reported queue.
        """
        key = reporter.key
        if key is None:
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
        now = self.clock()
        refuse_banned(self.store, site, reporter, None, now)
        self._limit(site, key, address_hash(self._address_key, client_ip), now)
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
            reports = tx.add_report(comment.id, key, why.value, text, now)
            # The site's webhooks, in the report's transaction (the reason, never the note).
            enqueue_event(tx, site, WebhookEvent.REPORTED, comment, now, reason=why.value)
            if reports == report_threshold(site):  # the report that sends it to the queue
                enqueue_alert(tx, site, comment, AlertQueue.REPORTED, now)
            return reports

    def _limit(self, site: Site, reader: str, address: str | None, now: datetime) -> None:
        if self.counters is None:
            return
        checks = [(f"report:r:{site.id}:{reader}", self.limits.per_reader_hour)]
        if address is not None:
            checks.append((f"report:a:{site.id}:{address}", self.limits.per_address_hour))
        checks = [(k, limit) for k, limit in checks if limit > 0]
        if not checks:
            return
        counts = self.counters.hit([(k, 3600) for k, _ in checks], now)
        if any(n > limit for n, (_, limit) in zip(counts, checks, strict=True)):
            stamp = int(now.timestamp())
            raise TooManyRequests(
                N_("You have sent many reports in a short time. Try again later."),
                retry_after=3600 - stamp % 3600,
                code="too-many-reports",
            )


def _wrote(reader: Author, reader_key: str | None, account_id: int | None) -> bool:
    by_key = reader.reader_key is not None and reader.reader_key == reader_key
    return by_key or (reader.account_id is not None and reader.account_id == account_id)
