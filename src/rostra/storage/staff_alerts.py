"""Moderator alerts in the database (rostra.services.desk_alerts, rostra.notify.desk_alerts):
each staff account's alert choice, the items waiting for its next mail, and when its last
immediate mail per site went out. SQLite and PostgreSQL.

Items and the jobs that carry them are written in one transaction, ``ON CONFLICT DO NOTHING``:
an alert job run again after a crash adds nothing twice. The coalescing mark is claimed with one
conditional write, so two workers cannot both send the window's mail.

:class:`StaffAlertWrites` is what the event's own write transaction asks: whether anyone of the
site wants alerts (read in that transaction, so a choice saved by another process counts at
once), and the sealed addresses key rotation re-seals with the subscribers' ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, or_, select, update

from rostra.domain.desk import Role
from rostra.domain.models import Site
from rostra.notify.desk_alerts import NewAlertItem, Recipient, Waiting
from rostra.services.desk_alerts import AlertCadence, AlertQueue, AlertSettings
from rostra.services.ports import NewJob
from rostra.storage.database import Engines, upsert
from rostra.storage.jobs import job_values
from rostra.storage.rows import site_from_row, utc
from rostra.storage.tables import (
    comments,
    jobs,
    sites,
    staff_accounts,
    staff_alert_items,
    staff_alert_marks,
    staff_alerts,
    staff_sites,
    threads,
)

_EXCERPT = 160


def _when(value: datetime | None) -> datetime:
    found = utc(value)
    assert found is not None
    return found


def _wanting(*where: Any) -> Any:
    """Staff alerts that are on, with an address, of accounts that are not disabled."""
    a, s = staff_alerts.c, staff_accounts.c
    return (
        select(a.account_id, a.cadence, a.language, a.address)
        .join_from(staff_alerts, staff_accounts, s.id == a.account_id)
        .where(
            a.cadence != AlertCadence.OFF.value,
            a.address.is_not(None),
            s.disabled.is_(False),
            *where,
        )
    )


def _of_site(site_id: int) -> Any:
    """An admin (admins moderate every site), or a moderator of the site."""
    s = staff_accounts.c
    moderates = exists().where(staff_sites.c.account_id == s.id, staff_sites.c.site_id == site_id)
    return or_(s.role == Role.ADMIN.value, moderates)


class StaffAlertWrites:
    """``WriteTransaction.wants_alerts`` and the staff half of key rotation, mixed into the
    store's write transaction."""

    conn: Connection

    def wants_alerts(self, site_id: int) -> bool:
        # A handful of staff rows, each found by its primary key: cheaper than the job it spares.
        found = self.conn.execute(_wanting(_of_site(site_id)).limit(1)).first()
        return found is not None

    def sealed_staff_addresses(self) -> list[tuple[int, str]]:
        a = staff_alerts.c
        rows = self.conn.execute(
            select(a.account_id, a.address).where(a.address.is_not(None)).order_by(a.account_id)
        )
        return [(int(r.account_id), str(r.address)) for r in rows]

    def reseal_staff_address(self, account_id: int, email_hash: str, sealed_address: str) -> None:
        self.conn.execute(
            update(staff_alerts)
            .where(staff_alerts.c.account_id == account_id)
            .values(email_hash=email_hash, address=sealed_address)
        )


class SqlStaffAlerts:
    """``AlertSettingsStore`` and ``AlertStore`` over ``engines``."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    # -- an account's choice ---------------------------------------------------------------------
    def alert_settings(self, account_id: int) -> AlertSettings | None:
        with self.engines.read.connect() as conn:
            row = conn.execute(
                select(staff_alerts).where(staff_alerts.c.account_id == account_id)
            ).first()
        if row is None:
            return None
        return AlertSettings(
            row.account_id, AlertCadence(row.cadence), row.language, row.email_hash, row.address
        )

    def save_alert_settings(self, settings: AlertSettings, now: datetime) -> None:
        values = {
            "email_hash": settings.email_hash,
            "address": settings.sealed_address,
            "cadence": settings.cadence.value,
            "language": settings.language,
            "updated_at": now,
        }
        with self.engines.begin() as conn:
            conn.execute(
                upsert(conn, staff_alerts)
                .values(account_id=settings.account_id, **values)
                .on_conflict_do_update(index_elements=["account_id"], set_=values)
            )
            if settings.cadence is AlertCadence.OFF:
                conn.execute(
                    delete(staff_alert_items).where(
                        staff_alert_items.c.account_id == settings.account_id
                    )
                )

    # -- who wants to know -----------------------------------------------------------------------
    def _recipients(self, conn: Connection, *where: Any) -> list[Recipient]:
        rows = conn.execute(_wanting(*where).order_by(staff_alerts.c.account_id))
        return [
            Recipient(r.account_id, AlertCadence(r.cadence), r.language, r.address) for r in rows
        ]

    def recipients(self, site_id: int) -> list[Recipient]:
        with self.engines.read.connect() as conn:
            return self._recipients(conn, _of_site(site_id))

    def recipient(self, account_id: int) -> Recipient | None:
        with self.engines.read.connect() as conn:
            found = self._recipients(conn, staff_alerts.c.account_id == account_id)
        return found[0] if found else None

    def site(self, site_id: int) -> Site | None:
        with self.engines.read.connect() as conn:
            row = conn.execute(select(sites).where(sites.c.id == site_id)).first()
        return None if row is None else site_from_row(row)

    # -- items and their jobs --------------------------------------------------------------------
    def record(self, items: Sequence[NewAlertItem], jobs_: Sequence[NewJob], now: datetime) -> None:
        rows = [
            {
                "account_id": i.account_id,
                "site_id": i.site_id,
                "comment_id": i.comment_id,
                "queue": i.queue.value,
                "cadence": i.cadence.value,
                "due_at": i.due_at,
                "created_at": now,
            }
            for i in items
        ]
        with self.engines.begin() as conn:
            if rows:
                conn.execute(
                    upsert(conn, staff_alert_items)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["account_id", "comment_id", "queue"])
                )
            for job in jobs_:
                conn.execute(
                    upsert(conn, jobs)
                    .values(**job_values(job, now))
                    .on_conflict_do_nothing(index_elements=["idempotency_key"])
                )

    def waiting(
        self, account_id: int, site_id: int, cadence: AlertCadence, due: datetime
    ) -> list[Waiting]:
        i, c, t = staff_alert_items.c, comments.c, threads.c
        with self.engines.read.connect() as conn:
            rows = conn.execute(
                select(i.id, i.queue, c.public_id, c.author_name, c.body, c.created_at, t.title)
                .join_from(staff_alert_items, comments, c.id == i.comment_id)
                .join(threads, t.id == c.thread_id)
                .where(
                    i.account_id == account_id,
                    i.site_id == site_id,
                    i.cadence == cadence.value,
                    i.due_at <= due,
                )
                .order_by(c.created_at.desc(), i.id.desc())
            ).fetchall()
        return [
            Waiting(
                r.id,
                AlertQueue(r.queue),
                r.public_id,
                r.author_name,
                r.body[:_EXCERPT],
                r.title,
                _when(r.created_at),
            )
            for r in rows
        ]

    def due_pairs(self, cadence: AlertCadence, due: datetime) -> list[tuple[int, int]]:
        i = staff_alert_items.c
        with self.engines.read.connect() as conn:
            rows = conn.execute(
                select(i.account_id, i.site_id)
                .where(i.cadence == cadence.value, i.due_at <= due)
                .distinct()
                .order_by(i.account_id, i.site_id)
            )
            return [(int(r.account_id), int(r.site_id)) for r in rows]

    def drop(self, item_ids: Sequence[int]) -> None:
        if not item_ids:
            return
        with self.engines.begin() as conn:
            conn.execute(
                delete(staff_alert_items).where(staff_alert_items.c.id.in_(list(item_ids)))
            )

    # -- the coalescing mark ---------------------------------------------------------------------
    def last_sent(self, account_id: int, site_id: int) -> datetime | None:
        m = staff_alert_marks.c
        with self.engines.read.connect() as conn:
            found = conn.execute(
                select(m.sent_at).where(m.account_id == account_id, m.site_id == site_id)
            ).scalar()
        return utc(found)

    def claim(
        self, account_id: int, site_id: int, now: datetime, window: timedelta
    ) -> datetime | None:
        m = staff_alert_marks.c
        mine = and_(m.account_id == account_id, m.site_id == site_id)
        with self.engines.begin() as conn:
            moved = conn.execute(
                update(staff_alert_marks).where(mine, m.sent_at <= now - window).values(sent_at=now)
            ).rowcount
            if moved:
                return None
            added = conn.execute(
                upsert(conn, staff_alert_marks)
                .values(account_id=account_id, site_id=site_id, sent_at=now)
                .on_conflict_do_nothing(index_elements=["account_id", "site_id"])
            ).rowcount
            if added:
                return None
            sent = conn.execute(select(m.sent_at).where(mine)).scalar()
        return _when(sent) + window

    def give_back(self, account_id: int, site_id: int, now: datetime) -> None:
        m = staff_alert_marks.c
        with self.engines.begin() as conn:
            conn.execute(
                delete(staff_alert_marks).where(
                    m.account_id == account_id, m.site_id == site_id, m.sent_at == now
                )
            )
