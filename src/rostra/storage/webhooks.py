"""Webhook endpoints and their delivery log in the database, for SQLite and PostgreSQL.

:class:`WebhookWrites` is mixed into the store's write transaction: the event hooks read which
endpoints want an event in the event's own transaction and enqueue their jobs there.
:class:`SqlWebhookStore` is the ``WebhookStore`` port (rostra.services.webhooks): managing
endpoints, and what a delivery records (each attempt, the failures in a row, disabling).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update

from rostra.domain.webhooks import Delivery, Endpoint, WebhookEvent
from rostra.services.ports import NewJob
from rostra.storage.database import Engines
from rostra.storage.jobs import JobWrites
from rostra.storage.rows import utc
from rostra.storage.tables import webhook_deliveries, webhook_endpoints

DISABLED_REASON = "disabled after repeated failures"
#: The delivery log keeps this many attempts per endpoint; older ones go as new ones come.
KEEP_DELIVERIES = 500


def endpoint_from_row(row: Row[Any]) -> Endpoint:
    return Endpoint(
        id=int(row.id),
        site_id=int(row.site_id),
        url=row.url,
        events=tuple(WebhookEvent(e) for e in row.events.split()),
        secret=row.secret,
        enabled=bool(row.enabled),
        consecutive_failures=int(row.consecutive_failures),
        created_at=utc(row.created_at) or row.created_at,
        disabled_at=utc(row.disabled_at),
        disabled_reason=row.disabled_reason,
    )


class WebhookWrites:
    """``WriteTransaction.webhook_endpoints_for``, mixed into the store's write transaction."""

    conn: Connection

    def webhook_endpoints_for(self, site_id: int, event: str) -> list[int]:
        c = webhook_endpoints.c
        rows = self.conn.execute(
            select(c.id, c.events).where(c.site_id == site_id, c.enabled.is_(True)).order_by(c.id)
        ).fetchall()
        return [int(r.id) for r in rows if event in r.events.split()]


class _Enqueue(JobWrites):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlWebhookStore:
    def __init__(self, engines: Engines, keep_deliveries: int = KEEP_DELIVERIES) -> None:
        self.engines = engines
        self.keep_deliveries = keep_deliveries

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction, under the writer lock on SQLite."""
        with self.engines.writing(), self.engines.write.begin() as conn:
            yield conn

    def add_endpoint(
        self, site_id: int, url: str, events: Sequence[WebhookEvent], secret: str, now: datetime
    ) -> Endpoint:
        with self._write() as conn:
            new_id = conn.execute(
                webhook_endpoints.insert()
                .values(
                    site_id=site_id,
                    url=url,
                    events=" ".join(e.value for e in events),
                    secret=secret,
                    enabled=True,
                    consecutive_failures=0,
                    created_at=now,
                )
                .returning(webhook_endpoints.c.id)
            ).scalar_one()
        found = self.endpoint(int(new_id))
        assert found is not None
        return found

    def endpoints(self, site_id: int) -> list[Endpoint]:
        c = webhook_endpoints.c
        with self.engines.read.connect() as conn:
            rows = conn.execute(
                select(webhook_endpoints).where(c.site_id == site_id).order_by(c.id)
            ).fetchall()
        return [endpoint_from_row(r) for r in rows]

    def endpoint(self, endpoint_id: int) -> Endpoint | None:
        with self.engines.read.connect() as conn:
            row = conn.execute(
                select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
            ).first()
        return None if row is None else endpoint_from_row(row)

    def set_enabled(self, endpoint_id: int, enabled: bool) -> bool:
        values: dict[str, Any] = {"enabled": enabled}
        if enabled:
            # Turned on again by an admin: the failures before no longer count.
            values |= {"consecutive_failures": 0, "disabled_at": None, "disabled_reason": None}
        with self._write() as conn:
            result = conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(**values)
            )
        return bool(result.rowcount)

    def remove_endpoint(self, endpoint_id: int) -> bool:
        with self._write() as conn:
            conn.execute(
                delete(webhook_deliveries).where(webhook_deliveries.c.endpoint_id == endpoint_id)
            )
            result = conn.execute(
                delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
            )
        return bool(result.rowcount)

    def deliveries(self, site_id: int, limit: int) -> list[Delivery]:
        d, e = webhook_deliveries.c, webhook_endpoints.c
        with self.engines.read.connect() as conn:
            rows = conn.execute(
                select(webhook_deliveries)
                .join(webhook_endpoints, e.id == d.endpoint_id)
                .where(e.site_id == site_id)
                .order_by(d.id.desc())
                .limit(limit)
            ).fetchall()
        return [
            Delivery(
                id=int(r.id),
                endpoint_id=int(r.endpoint_id),
                event_id=r.event_id,
                event=r.event,
                attempt=int(r.attempt),
                at=utc(r.at) or r.at,
                ok=bool(r.ok),
                status=r.status,
                outcome=r.outcome,
            )
            for r in rows
        ]

    def record_delivery(
        self,
        endpoint_id: int,
        event_id: str,
        event: str,
        attempt: int,
        now: datetime,
        status: int | None,
        outcome: str,
        *,
        ok: bool,
        disable_after: int,
    ) -> Endpoint | None:
        c = webhook_endpoints.c
        with self._write() as conn:
            conn.execute(
                webhook_deliveries.insert().values(
                    endpoint_id=endpoint_id,
                    event_id=event_id[:64],
                    event=event[:32],
                    attempt=attempt,
                    at=now,
                    ok=ok,
                    status=status,
                    outcome=outcome[:200],
                )
            )
            self._prune(conn, endpoint_id)
            where = c.id == endpoint_id
            if ok:
                conn.execute(update(webhook_endpoints).where(where).values(consecutive_failures=0))
            else:
                # One statement, so two workers failing at once both count.
                conn.execute(
                    update(webhook_endpoints)
                    .where(where)
                    .values(consecutive_failures=c.consecutive_failures + 1)
                )
                conn.execute(
                    update(webhook_endpoints)
                    .where(where, c.enabled.is_(True), c.consecutive_failures >= disable_after)
                    .values(enabled=False, disabled_at=now, disabled_reason=DISABLED_REASON)
                )
        return self.endpoint(endpoint_id)

    def _prune(self, conn: Connection, endpoint_id: int) -> None:
        """Only the newest ``keep_deliveries`` attempts of the endpoint stay in the log."""
        d = webhook_deliveries.c
        oldest_kept = conn.execute(
            select(d.id)
            .where(d.endpoint_id == endpoint_id)
            .order_by(d.id.desc())
            .offset(self.keep_deliveries - 1)
            .limit(1)
        ).scalar()
        if oldest_kept is not None:
            conn.execute(
                delete(webhook_deliveries).where(d.endpoint_id == endpoint_id, d.id < oldest_kept)
            )

    def enqueue(self, job: NewJob, now: datetime) -> bool:
        with self._write() as conn:
            return _Enqueue(conn).enqueue(job, now)
