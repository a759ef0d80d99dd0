"""Queries of the moderators' desk: queues, reports, bans, author history and the audit log.

``DeskReads`` is mixed into ``SqlStore`` and ``DeskWrites`` into its write transaction, so a
moderator's decision and everything it touches (status, thread counters, reports, the audit
entry) commit together, exactly like a reader's comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from rostra.domain.desk import (
    AuditEntry,
    AuthorRecord,
    Ban,
    BanKind,
    DeskAction,
    DeskComment,
    NewAuditEntry,
    ban_keys,
)
from rostra.domain.errors import N_, Conflict
from rostra.domain.models import Comment, Thread
from rostra.services.ports import QueueQuery
from rostra.storage.rows import COMMENT_COLUMNS, comment_from_row, utc
from rostra.storage.tables import audit_log, bans, comments, reports, threads


def _ban(row: Row[Any]) -> Ban:
    return Ban(
        id=row.id,
        site_id=row.site_id,
        kind=BanKind(row.kind),
        value=row.value,
        reason=row.reason,
        created_by=row.created_by,
        created_at=utc(row.created_at) or row.created_at,
        expires_at=utc(row.expires_at),
        lifted_at=utc(row.lifted_at),
    )


def _audit(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        site_id=row.site_id,
        action=DeskAction(row.action),
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        created_at=utc(row.created_at) or row.created_at,
        comment_public_id=row.comment_public_id,
        from_status=row.from_status,
        to_status=row.to_status,
        grounds=row.grounds,
        explanation=row.explanation,
        detail=row.detail,
    )


def _desk_select() -> Any:
    return select(
        *COMMENT_COLUMNS,
        comments.c.email_hash,
        comments.c.moderation,
        comments.c.open_reports,
        threads.c.site_id.label("t_site_id"),
        threads.c.external_id.label("t_external_id"),
        threads.c.url.label("t_url"),
        threads.c.title.label("t_title"),
        threads.c.comment_count.label("t_comment_count"),
        threads.c.version.label("t_version"),
        threads.c.created_at.label("t_created_at"),
        threads.c.closed.label("t_closed"),
    ).join(threads, threads.c.id == comments.c.thread_id)


def _deskcomment_from_row(row: Row[Any], reasons: dict[str, int] | None = None) -> DeskComment:
    thread = Thread(
        id=row.thread_id,
        site_id=row.t_site_id,
        external_id=row.t_external_id,
        url=row.t_url,
        title=row.t_title,
        comment_count=row.t_comment_count,
        version=row.t_version,
        created_at=utc(row.t_created_at) or row.t_created_at,
        closed=bool(row.t_closed),
    )
    return DeskComment(
        comment=comment_from_row(row),
        thread=thread,
        email_hash=row.email_hash,
        moderation=row.moderation,
        open_reports=row.open_reports,
        report_reasons=reasons or {},
    )


def _open_reasons(conn: Connection, comment_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    if not comment_ids:
        return {}
    r = reports.c
    rows = conn.execute(
        select(r.comment_id, r.reason, func.count())
        .where(r.comment_id.in_(list(comment_ids)), r.resolved_at.is_(None))
        .group_by(r.comment_id, r.reason)
    ).fetchall()
    found: dict[int, dict[str, int]] = {}
    for comment_id, reason, count in rows:
        found.setdefault(comment_id, {})[reason] = int(count)
    return found


def _active_bans(
    conn: Connection, site_id: int, keys: Sequence[tuple[BanKind, str]], now: datetime
) -> list[Ban]:
    wanted = [(k.value, v) for k, v in keys if v and "\x00" not in v]
    if not wanted:
        return []
    b = bans.c
    rows = conn.execute(
        select(bans).where(
            b.site_id == site_id,
            b.lifted_at.is_(None),
            or_(b.expires_at.is_(None), b.expires_at > now),
            or_(*(and_(b.kind == k, b.value == v) for k, v in wanted)),
        )
    ).fetchall()
    return [_ban(r) for r in rows]


class DeskReads:
    """The ``DeskStore`` reads, mixed into ``SqlStore``."""

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def active_bans(
        self, site_id: int, keys: Sequence[tuple[BanKind, str]], now: datetime
    ) -> list[Ban]:
        with self._read() as conn:
            return _active_bans(conn, site_id, keys, now)

    def queue(self, query: QueueQuery) -> list[DeskComment]:
        c = comments.c
        stmt = _desk_select().where(threads.c.site_id == query.site_id)
        if query.statuses is not None:
            stmt = stmt.where(c.status.in_([s.value for s in query.statuses]))
            if "published" not in {s.value for s in query.statuses}:
                # Spelled out so the partial index on unpublished comments is used.
                stmt = stmt.where(c.status != "published")
        if query.review:
            # ``IS NOT NULL`` matches the partial index of flagged comments.
            stmt = stmt.where(
                c.review_since.is_not(None), c.status == "published", c.deleted_at.is_(None)
            )
        if query.min_reports is not None:
            # ``> 0`` matches the partial index; the threshold is at least 1.
            stmt = stmt.where(c.open_reports > 0, c.open_reports >= query.min_reports)
        if query.after_id is not None:
            after = query.after_id
            stmt = stmt.where(c.id > after if query.oldest_first else c.id < after)
        stmt = stmt.order_by(c.id.asc() if query.oldest_first else c.id.desc()).limit(query.limit)
        with self._read() as conn:
            rows = conn.execute(stmt).fetchall()
            reasons = _open_reasons(conn, [r.id for r in rows])
        return [_deskcomment_from_row(r, reasons.get(r.id)) for r in rows]

    def queue_counts(self, site_id: int, report_threshold: int) -> dict[str, int]:
        c = comments.c
        base = select(c.status, func.count()).join(threads, threads.c.id == c.thread_id)
        with self._read() as conn:
            by_status = {
                status: int(n)
                for status, n in conn.execute(
                    base.where(threads.c.site_id == site_id).group_by(c.status)
                ).fetchall()
            }
            reported = conn.execute(
                select(func.count())
                .select_from(comments.join(threads, threads.c.id == c.thread_id))
                .where(
                    threads.c.site_id == site_id,
                    c.open_reports > 0,
                    c.open_reports >= report_threshold,
                )
            ).scalar()
            review = conn.execute(
                select(func.count())
                .select_from(comments.join(threads, threads.c.id == c.thread_id))
                .where(
                    threads.c.site_id == site_id,
                    c.review_since.is_not(None),
                    c.status == "published",
                    c.deleted_at.is_(None),
                )
            ).scalar()
        return {
            "pending": by_status.get("pending", 0),
            "review": int(review or 0),
            "reported": int(reported or 0),
            "rejected": by_status.get("rejected", 0) + by_status.get("spam", 0),
            "all": sum(by_status.values()),
        }

    def desk_comment(self, site_id: int, public_id: str) -> DeskComment | None:
        if "\x00" in public_id:
            return None
        stmt = _desk_select().where(threads.c.site_id == site_id, comments.c.public_id == public_id)
        with self._read() as conn:
            row = conn.execute(stmt).first()
            if row is None:
                return None
            reasons = _open_reasons(conn, [row.id])
        return _deskcomment_from_row(row, reasons.get(row.id))

    def context(self, comment: Comment) -> tuple[Comment | None, list[Comment]]:
        c = comments.c
        with self._read() as conn:
            parent = None
            if comment.parent_id is not None:
                row = conn.execute(
                    select(*COMMENT_COLUMNS).where(c.id == comment.parent_id)
                ).first()
                parent = comment_from_row(row) if row else None
            replies = conn.execute(
                select(*COMMENT_COLUMNS)
                .where(c.parent_id == comment.id)
                .order_by(c.created_at, c.id)
                .limit(50)
            ).fetchall()
        return parent, [comment_from_row(r) for r in replies]

    def author_history(
        self,
        site_id: int,
        reader_key: str | None,
        account_id: int | None,
        email_hash: str | None,
        limit: int,
    ) -> AuthorRecord:
        c = comments.c
        who = []
        if reader_key:
            who.append(c.reader_key == reader_key)
        if account_id is not None:
            who.append(c.account_id == account_id)
        if email_hash:
            who.append(c.email_hash == email_hash)
        keys = ban_keys(reader_key, account_id, email_hash)
        if not who:
            return AuthorRecord(by_status={}, recent=[], bans=[])
        on_site = and_(threads.c.site_id == site_id, or_(*who))
        with self._read() as conn:
            counted = conn.execute(
                select(c.status, func.count())
                .select_from(comments.join(threads, threads.c.id == c.thread_id))
                .where(on_site)
                .group_by(c.status)
            ).fetchall()
            rows = conn.execute(
                _desk_select().where(on_site).order_by(c.id.desc()).limit(limit)
            ).fetchall()
            b = bans.c
            ban_rows = conn.execute(
                select(bans)
                .where(
                    b.site_id == site_id,
                    or_(*(and_(b.kind == k.value, b.value == v) for k, v in keys)),
                )
                .order_by(b.id.desc())
            ).fetchall()
        return AuthorRecord(
            by_status={status: int(n) for status, n in counted},
            recent=[_deskcomment_from_row(r) for r in rows],
            bans=[_ban(r) for r in ban_rows],
        )

    def reports_of(self, comment_id: int) -> list[tuple[str, str, datetime, bool]]:
        r = reports.c
        with self._read() as conn:
            rows = conn.execute(
                select(r.reason, r.note, r.created_at, r.resolved_at)
                .where(r.comment_id == comment_id)
                .order_by(r.id.desc())
                .limit(200)
            ).fetchall()
        return [
            (reason, note, utc(at) or at, resolved is not None)
            for reason, note, at, resolved in rows
        ]

    def audit(
        self, site_id: int, before_id: int | None, limit: int, comment_id: int | None = None
    ) -> list[AuditEntry]:
        a = audit_log.c
        stmt = select(audit_log).where(a.site_id == site_id)
        if comment_id is not None:
            stmt = stmt.where(a.comment_id == comment_id)
        if before_id is not None:
            stmt = stmt.where(a.id < before_id)
        with self._read() as conn:
            rows = conn.execute(stmt.order_by(a.id.desc()).limit(limit)).fetchall()
        return [_audit(r) for r in rows]

    def bans(self, site_id: int) -> list[Ban]:
        b = bans.c
        with self._read() as conn:
            rows = conn.execute(
                select(bans).where(b.site_id == site_id).order_by(b.id.desc()).limit(500)
            ).fetchall()
        return [_ban(r) for r in rows]


class DeskWrites:
    """The desk's changes, mixed into ``SqlWriteTransaction``."""

    conn: Connection

    def add_report(
        self, comment_id: int, reporter_key: str, reason: str, note: str, now: datetime
    ) -> int:
        exists = self.conn.execute(
            select(reports.c.id).where(
                reports.c.comment_id == comment_id, reports.c.reporter_key == reporter_key
            )
        ).first()
        if exists is not None:
            raise Conflict(N_("You already reported this comment."), code="already-reported")
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    reports.insert().values(
                        comment_id=comment_id,
                        reporter_key=reporter_key,
                        reason=reason,
                        note=note,
                        created_at=now,
                    )
                )
        except IntegrityError as exc:
            raise Conflict(
                N_("You already reported this comment."), code="already-reported"
            ) from exc
        c = comments.c
        self.conn.execute(
            update(comments).where(c.id == comment_id).values(open_reports=c.open_reports + 1)
        )
        count = self.conn.execute(select(c.open_reports).where(c.id == comment_id)).scalar()
        return int(count or 0)

    def resolve_reports(self, comment_id: int, now: datetime) -> int:
        resolved = self.conn.execute(
            update(reports)
            .where(reports.c.comment_id == comment_id, reports.c.resolved_at.is_(None))
            .values(resolved_at=now)
        ).rowcount
        self.conn.execute(
            update(comments).where(comments.c.id == comment_id).values(open_reports=0)
        )
        return int(resolved or 0)

    def set_review(self, comment_id: int, since: datetime | None) -> bool:
        c = comments.c
        stmt = update(comments).where(c.id == comment_id)
        # Only a change is written: clearing an unflagged comment (every decision tries) or
        # flagging one twice touches no row.
        stmt = stmt.where(c.review_since.is_(None) if since else c.review_since.is_not(None))
        return bool(self.conn.execute(stmt.values(review_since=since)).rowcount)

    def add_audit(self, entry: NewAuditEntry) -> None:
        self.conn.execute(
            audit_log.insert().values(
                site_id=entry.site_id,
                comment_id=entry.comment_id,
                comment_public_id=entry.comment_public_id,
                actor_id=entry.actor_id,
                actor_name=entry.actor_name,
                action=entry.action.value,
                from_status=entry.from_status,
                to_status=entry.to_status,
                grounds=entry.grounds,
                explanation=entry.explanation,
                detail=entry.detail,
                created_at=entry.created_at,
            )
        )

    def add_ban(
        self,
        site_id: int,
        kind: BanKind,
        value: str,
        reason: str,
        created_by: str,
        now: datetime,
        expires_at: datetime | None,
    ) -> Ban:
        result = self.conn.execute(
            bans.insert().values(
                site_id=site_id,
                kind=kind.value,
                value=value,
                reason=reason,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            )
        )
        ban_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return _ban(self.conn.execute(select(bans).where(bans.c.id == ban_id)).one())

    def lift_ban(self, site_id: int, ban_id: int, now: datetime) -> Ban | None:
        b = bans.c
        row = self.conn.execute(select(bans).where(b.id == ban_id, b.site_id == site_id)).first()
        if row is None:
            return None
        if row.lifted_at is None:
            self.conn.execute(update(bans).where(b.id == ban_id).values(lifted_at=now))
            row = self.conn.execute(select(bans).where(b.id == ban_id)).one()
        return _ban(row)

    def comment_by_public_id(self, public_id: str) -> tuple[int, Comment] | None:
        if "\x00" in public_id:
            return None
        row = self.conn.execute(
            select(*COMMENT_COLUMNS, threads.c.site_id.label("t_site_id"))
            .join(threads, threads.c.id == comments.c.thread_id)
            .where(comments.c.public_id == public_id)
        ).first()
        if row is None:
            return None
        return int(row.t_site_id), comment_from_row(row)  # type: ignore[arg-type]

    def active_bans_now(
        self, site_id: int, keys: Sequence[tuple[BanKind, str]], now: datetime
    ) -> list[Ban]:
        return _active_bans(self.conn, site_id, keys, now)
