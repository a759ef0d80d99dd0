"""Staff accounts, their sites and sessions, and failed sign-in counters in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from rostra.domain.desk import Role, StaffAccount
from rostra.domain.errors import N_, Conflict
from rostra.storage.database import Engines
from rostra.storage.rows import has_nul, utc
from rostra.storage.tables import moderation_counters, staff_accounts, staff_sessions, staff_sites


def _link_sites(conn: Connection, account_id: int, site_ids: Sequence[int]) -> None:
    for site_id in sorted(set(site_ids)):
        conn.execute(staff_sites.insert().values(account_id=account_id, site_id=site_id))


class SqlStaffStore:
    """The ``StaffStore`` port over SQLAlchemy Core."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        dialect = sqlite if engines.is_sqlite else postgresql
        t = moderation_counters
        self._upsert = (
            dialect.insert(t)
            .on_conflict_do_update(
                index_elements=[t.c.key, t.c.window_start], set_={"count": t.c.count + 1}
            )
            .returning(t.c.count)
        )

    def _account(self, conn: Connection, row: Row[Any]) -> StaffAccount:
        site_ids = conn.execute(
            select(staff_sites.c.site_id).where(staff_sites.c.account_id == row.id)
        ).scalars()
        return StaffAccount(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            role=Role(row.role),
            site_ids=frozenset(int(s) for s in site_ids),
            disabled=bool(row.disabled),
        )

    def create_account(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: str,
        site_ids: Sequence[int],
        now: datetime,
    ) -> StaffAccount:
        try:
            with self.engines.writing(), self.engines.write.begin() as conn:
                result = conn.execute(
                    staff_accounts.insert().values(
                        username=username,
                        display_name=display_name,
                        password_hash=password_hash,
                        role=role,
                        disabled=False,
                        created_at=now,
                    )
                )
                account_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                _link_sites(conn, account_id, site_ids)
                row = conn.execute(
                    select(staff_accounts).where(staff_accounts.c.id == account_id)
                ).one()
                return self._account(conn, row)
        except IntegrityError as exc:
            raise Conflict(
                N_("There is already a staff account called %(name)s."),
                code="account-exists",
                name=username,
            ) from exc

    def account_login(self, username: str) -> tuple[StaffAccount, str] | None:
        if has_nul(username):
            return None
        with self.engines.read.connect() as conn:
            row = conn.execute(
                select(staff_accounts).where(staff_accounts.c.username == username)
            ).first()
            return (self._account(conn, row), row.password_hash) if row else None

    def list_accounts(self) -> list[StaffAccount]:
        with self.engines.read.connect() as conn:
            rows = conn.execute(select(staff_accounts).order_by(staff_accounts.c.username))
            return [self._account(conn, r) for r in rows.fetchall()]

    def update_account(
        self,
        account_id: int,
        *,
        password_hash: str | None = None,
        role: str | None = None,
        site_ids: Sequence[int] | None = None,
        disabled: bool | None = None,
    ) -> StaffAccount | None:
        values: dict[str, object] = {}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if role is not None:
            values["role"] = role
        if disabled is not None:
            values["disabled"] = disabled
        a = staff_accounts.c
        with self.engines.writing(), self.engines.write.begin() as conn:
            row = conn.execute(select(staff_accounts).where(a.id == account_id)).first()
            if row is None:
                return None
            if values:
                conn.execute(update(staff_accounts).where(a.id == account_id).values(**values))
            if site_ids is not None:
                conn.execute(delete(staff_sites).where(staff_sites.c.account_id == account_id))
                _link_sites(conn, account_id, site_ids)
            if disabled:
                ended = staff_sessions.c.account_id == account_id
                conn.execute(delete(staff_sessions).where(ended))
            row = conn.execute(select(staff_accounts).where(a.id == account_id)).one()
            return self._account(conn, row)

    def create_session(
        self, key_hash: str, account_id: int, now: datetime, expires_at: datetime
    ) -> None:
        with self.engines.writing(), self.engines.write.begin() as conn:
            # Sessions past their end are swept whenever someone signs in.
            conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at < now))
            conn.execute(
                staff_sessions.insert().values(
                    key_hash=key_hash,
                    account_id=account_id,
                    created_at=now,
                    expires_at=expires_at,
                    last_seen_at=now,
                )
            )

    def session_account(
        self, key_hash: str, now: datetime
    ) -> tuple[StaffAccount, datetime, datetime] | None:
        s = staff_sessions.c
        with self.engines.read.connect() as conn:
            found = conn.execute(
                select(s.account_id, s.created_at, s.last_seen_at).where(
                    s.key_hash == key_hash, s.expires_at > now
                )
            ).first()
            if found is None:
                return None
            row = conn.execute(
                select(staff_accounts).where(staff_accounts.c.id == found.account_id)
            ).first()
            if row is None:
                return None
            created = utc(found.created_at) or now
            seen = utc(found.last_seen_at) or now
            return self._account(conn, row), created, seen

    def touch_session(self, key_hash: str, now: datetime, expires_at: datetime) -> None:
        s = staff_sessions.c
        with self.engines.writing(), self.engines.write.begin() as conn:
            conn.execute(
                update(staff_sessions)
                .where(s.key_hash == key_hash)
                .values(last_seen_at=now, expires_at=expires_at)
            )

    def delete_session(self, key_hash: str) -> None:
        with self.engines.writing(), self.engines.write.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.key_hash == key_hash))

    def delete_sessions(self, account_id: int) -> None:
        with self.engines.writing(), self.engines.write.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.account_id == account_id))

    def count_attempts(self, keys: Sequence[str], window_start: int) -> list[int]:
        # Count first, decide after: each upsert increments and returns the count under the
        # row's lock (PostgreSQL) or the one writer (SQLite), so N parallel guesses see N
        # different counts and no more than the limit of them get past the check.
        with self.engines.writing(), self.engines.write.begin() as conn:
            return [
                int(
                    conn.execute(
                        self._upsert.values(key=key, window_start=window_start, count=1)
                    ).scalar_one()
                )
                for key in keys
            ]

    def forget_attempts(self, keys: Sequence[str], window_start: int) -> None:
        t = moderation_counters.c
        with self.engines.writing(), self.engines.write.begin() as conn:
            # Key by key, in the order count_attempts locks them: no deadlock between the two.
            for key in keys:
                conn.execute(
                    update(moderation_counters)
                    .where(t.key == key, t.window_start == window_start, t.count > 0)
                    .values(count=t.count - 1)
                )
