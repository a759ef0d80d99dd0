"""Webhook endpoints and their delivery log in the database, for SQLite and PostgreSQL.

:class:`WebhookWrites` is mixed into the store's write transaction: the event hooks read which
endpoints want an event in the event's own transaction and enqueue their jobs there.
:class:`SqlWebhookStore` is the ``WebhookStore`` port (rostra.services.webhooks): managing
endpoints, and what a delivery records (each attempt, the failures in a row, disabling).

Every change to an endpoint writes its audit entry (rostra.storage.tables.audit_log, the desk's
audit log) in the change's own transaction, with who made it and never the secret. The failure
that disables an endpoint writes, in its transaction, the automated audit entry and one
``webhook.disabled`` mail job per admin with an alert address (the staff alert tables, read
here only), so the admins are told exactly once per disabling.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update

from rostra.domain.desk import AUTOMATED_ACTOR, DeskAction, Role
from rostra.domain.models import Site
from rostra.domain.webhooks import Actor, Delivery, Endpoint, WebhookEvent
from rostra.services.ports import NewJob
from rostra.services.webhooks import NoticeRecipient, notice_job
from rostra.storage.database import Engines
from rostra.storage.jobs import JobWrites
from rostra.storage.rows import site_from_row, utc
from rostra.storage.tables import (
    audit_log,
    sites,
    staff_accounts,
    staff_alerts,
    webhook_deliveries,
    webhook_endpoints,
)

ROSTRA = Actor(None, AUTOMATED_ACTOR)
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


def _events(events: Sequence[WebhookEvent]) -> str:
    return " ".join(e.value for e in events)


def _audit(
    conn: Connection,
    site_id: int,
    action: DeskAction,
    actor: Actor,
    now: datetime,
    **detail: object,
) -> None:
    """The change's audit entry, in the change's transaction (never a secret in ``detail``)."""
    conn.execute(
        audit_log.insert().values(
            site_id=site_id,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            action=action.value,
            explanation="",
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
            created_at=now,
        )
    )


def _admins_told(conn: Connection, *where: Any) -> list[NoticeRecipient]:
    """Admins, not disabled, with an alert address, whatever their alert cadence: an endpoint
    turned off is not a queue alert, and there is no later digest for it."""
    a, s = staff_alerts.c, staff_accounts.c
    rows = conn.execute(
        select(a.account_id, a.language, a.address)
        .join_from(staff_alerts, staff_accounts, s.id == a.account_id)
        .where(a.address.is_not(None), s.disabled.is_(False), s.role == Role.ADMIN.value, *where)
        .order_by(a.account_id)
    )
    return [NoticeRecipient(int(r.account_id), r.language, r.address) for r in rows]


class SqlWebhookStore:
    def __init__(self, engines: Engines, keep_deliveries: int = KEEP_DELIVERIES) -> None:
        self.engines = engines
        self.keep_deliveries = keep_deliveries

    def add_endpoint(
        self,
        site_id: int,
        url: str,
        events: Sequence[WebhookEvent],
        secret: str,
        now: datetime,
        actor: Actor,
    ) -> Endpoint:
        with self.engines.begin() as conn:
            new_id = conn.execute(
                webhook_endpoints.insert()
                .values(
                    site_id=site_id,
                    url=url,
                    events=_events(events),
                    secret=secret,
                    enabled=True,
                    consecutive_failures=0,
                    created_at=now,
                )
                .returning(webhook_endpoints.c.id)
            ).scalar_one()
            _audit(
                conn,
                site_id,
                DeskAction.WEBHOOK_ADD,
                actor,
                now,
                endpoint=int(new_id),
                url=url,
                events=_events(events),
            )
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

    def _current(self, conn: Connection, endpoint_id: int) -> Row[Any] | None:
        """The endpoint's row, locked for the change on PostgreSQL (SQLite: the writer lock)."""
        stmt = select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return conn.execute(stmt).first()

    def update_endpoint(
        self,
        endpoint_id: int,
        url: str,
        events: Sequence[WebhookEvent],
        now: datetime,
        actor: Actor,
    ) -> bool:
        with self.engines.begin() as conn:
            row = self._current(conn, endpoint_id)
            if row is None:
                return False
            changes: dict[str, object] = {}
            if row.url != url:
                changes["url"] = {"from": row.url, "to": url}
            if row.events != _events(events):
                changes["events"] = {"from": row.events, "to": _events(events)}
            if not changes:
                return True
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(url=url, events=_events(events))
            )
            _audit(
                conn,
                int(row.site_id),
                DeskAction.WEBHOOK_EDIT,
                actor,
                now,
                endpoint=endpoint_id,
                **changes,
            )
        return True

    def rotate_secret(self, endpoint_id: int, secret: str, now: datetime, actor: Actor) -> bool:
        with self.engines.begin() as conn:
            row = self._current(conn, endpoint_id)
            if row is None:
                return False
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(secret=secret)
            )
            _audit(
                conn,
                int(row.site_id),
                DeskAction.WEBHOOK_ROTATE,
                actor,
                now,
                endpoint=endpoint_id,
                url=row.url,
            )
        return True

    def set_enabled(self, endpoint_id: int, enabled: bool, now: datetime, actor: Actor) -> bool:
        values: dict[str, Any] = {"enabled": enabled}
        if enabled:
            # Turned on again by an admin: the failures before no longer count.
            values |= {"consecutive_failures": 0, "disabled_at": None, "disabled_reason": None}
        with self.engines.begin() as conn:
            row = self._current(conn, endpoint_id)
            if row is None:
                return False
            if bool(row.enabled) == enabled and not (enabled and row.consecutive_failures):
                return True  # nothing changes, nothing to audit
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(**values)
            )
            facts: dict[str, object] = {"endpoint": endpoint_id, "url": row.url}
            if enabled and row.consecutive_failures:
                facts["failures"] = int(row.consecutive_failures)
            _audit(
                conn,
                int(row.site_id),
                DeskAction.WEBHOOK_ENABLE if enabled else DeskAction.WEBHOOK_DISABLE,
                actor,
                now,
                **facts,
            )
        return True

    def remove_endpoint(self, endpoint_id: int, now: datetime, actor: Actor) -> bool:
        with self.engines.begin() as conn:
            row = self._current(conn, endpoint_id)
            if row is None:
                return False
            conn.execute(
                delete(webhook_deliveries).where(webhook_deliveries.c.endpoint_id == endpoint_id)
            )
            conn.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
            _audit(
                conn,
                int(row.site_id),
                DeskAction.WEBHOOK_DELETE,
                actor,
                now,
                endpoint=endpoint_id,
                url=row.url,
                events=row.events,
            )
        return True

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
        with self.engines.begin() as conn:
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
                turned_off = conn.execute(
                    update(webhook_endpoints)
                    .where(where, c.enabled.is_(True), c.consecutive_failures >= disable_after)
                    .values(enabled=False, disabled_at=now, disabled_reason=outcome[:200])
                ).rowcount
                if turned_off:
                    self._disabled(conn, endpoint_id, now)
        return self.endpoint(endpoint_id)

    def _disabled(self, conn: Connection, endpoint_id: int, now: datetime) -> None:
        """This transaction disabled the endpoint (one writer can: the update above is
        conditional): its automated audit entry and the admins' mail jobs."""
        row = conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
        found = row.first()
        if found is None:
            return
        _audit(
            conn,
            int(found.site_id),
            DeskAction.WEBHOOK_AUTO_DISABLE,
            ROSTRA,
            now,
            endpoint=endpoint_id,
            url=found.url,
            failures=int(found.consecutive_failures),
            last_error=found.disabled_reason,
        )
        jobs = _Enqueue(conn)
        for admin in _admins_told(conn):
            jobs.enqueue(notice_job(endpoint_id, int(found.site_id), admin.account_id, now), now)

    def notice_recipient(self, account_id: int) -> NoticeRecipient | None:
        """The admin as they are now (None once they are no admin, disabled or without an
        address)."""
        with self.engines.read.connect() as conn:
            found = _admins_told(conn, staff_alerts.c.account_id == account_id)
        return found[0] if found else None

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
        with self.engines.begin() as conn:
            return _Enqueue(conn).enqueue(job, now)

    def site(self, site_id: int) -> Site | None:
        with self.engines.read.connect() as conn:
            row = conn.execute(select(sites).where(sites.c.id == site_id)).first()
        return None if row is None else site_from_row(row)
