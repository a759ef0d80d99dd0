"""Campaigns and the donations ledger in the database, for SQLite and PostgreSQL: the
``FundingStore`` port (rostra.services.funding).

Recording an entry is one transaction: the campaign's row is locked first (PostgreSQL's
``FOR UPDATE``; SQLite has one writer), so entries for one campaign apply one at a time; an entry
whose (site, source, external id) is stored already is a replay and changes nothing; otherwise the
entry is inserted, its donation's net and state updated, and the campaign's running totals
(raised, donations, donors) and version moved by the difference the donation's new state makes.
A donation counts while it is paid and its net is above zero, and adds that net to the raised
total: the same end state whatever order its entries arrive in. Reading a campaign reads one row.

Every change an admin makes (a campaign added, changed, closed or reopened; an offline donation)
writes its audit entry (rostra.storage.tables.audit_log) in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update
from sqlalchemy.exc import IntegrityError

from rostra.domain.desk import DeskAction
from rostra.domain.funding import (
    Campaign,
    CampaignDraft,
    Entry,
    EntryKind,
    GoalType,
    NewEntry,
    OfflineMethod,
    Recorded,
    Source,
    Totals,
)
from rostra.domain.webhooks import Actor
from rostra.storage.database import Engines
from rostra.storage.rows import utc
from rostra.storage.tables import (
    audit_log,
    campaign_donors,
    campaigns,
    donation_entries,
    donations,
)


def _ticks(raw: str) -> tuple[int, ...]:
    return tuple(int(t) for t in raw.split(",") if t)


def campaign_from_row(row: Row[Any]) -> Campaign:
    return Campaign(
        id=int(row.id),
        public_id=row.public_id,
        site_id=int(row.site_id),
        title=row.title,
        goal_type=GoalType(row.goal_type),
        goal=int(row.goal),
        currency=row.currency,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        ticks=_ticks(row.ticks),
        open=bool(row.open),
        created_at=utc(row.created_at) or row.created_at,
        totals=Totals(int(row.raised_minor), int(row.donations), int(row.donors)),
        version=int(row.version),
        presets=_ticks(row.presets),
        minimum_minor=int(row.minimum_minor),
    )


def entry_from_row(row: Row[Any]) -> Entry:
    return Entry(
        id=int(row.id),
        campaign_id=int(row.campaign_id),
        source=Source(row.source),
        external_id=row.external_id,
        kind=EntryKind(row.kind),
        signed_minor=int(row.amount_minor),
        currency=row.currency,
        payment_ref=row.payment_ref,
        on=row.received_on,
        donor_name=row.donor_name,
        method=OfflineMethod(row.method) if row.method else None,
        note=row.note,
        recorded_at=utc(row.recorded_at) or row.recorded_at,
        recorded_by=row.recorded_by,
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _draft_values(draft: CampaignDraft) -> dict[str, object]:
    return {
        "title": draft.title,
        "goal_type": draft.goal_type.value,
        "goal": draft.goal,
        "currency": draft.currency,
        "starts_on": draft.starts_on,
        "ends_on": draft.ends_on,
        "ticks": ",".join(str(t) for t in draft.ticks),
        "presets": ",".join(str(p) for p in draft.presets),
        "minimum_minor": draft.minimum_minor,
    }


def _audit(
    conn: Connection,
    site_id: int,
    action: DeskAction,
    actor: Actor,
    now: datetime,
    **detail: object,
) -> None:
    conn.execute(
        audit_log.insert().values(
            site_id=site_id,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            action=action.value,
            explanation="",
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
            created_at=now,
        )
    )


def _locked(conn: Connection, campaign_id: int) -> Row[Any] | None:
    stmt = select(campaigns).where(campaigns.c.id == campaign_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def _counts(paid: bool, net: int) -> bool:
    return paid and net > 0


class SqlFundingStore:
    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    # -- campaigns ---------------------------------------------------------------------------

    def add_campaign(
        self, site_id: int, public_id: str, draft: CampaignDraft, now: datetime, actor: Actor
    ) -> Campaign:
        values = _draft_values(draft)
        with self.engines.begin() as conn:
            conn.execute(
                campaigns.insert().values(
                    public_id=public_id,
                    site_id=site_id,
                    open=True,
                    raised_minor=0,
                    donations=0,
                    donors=0,
                    version=0,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
            _audit(conn, site_id, DeskAction.CAMPAIGN_ADD, actor, now, campaign=public_id, **values)
        found = self.campaign(public_id)
        assert found is not None
        return found

    def campaigns(self, site_id: int) -> list[Campaign]:
        c = campaigns.c
        with self.engines.read.connect() as conn:
            rows = conn.execute(
                select(campaigns).where(c.site_id == site_id).order_by(c.id)
            ).fetchall()
        return [campaign_from_row(r) for r in rows]

    def campaign(self, public_id: str) -> Campaign | None:
        with self.engines.read.connect() as conn:
            row = conn.execute(select(campaigns).where(campaigns.c.public_id == public_id)).first()
        return None if row is None else campaign_from_row(row)

    def update_campaign(
        self, campaign_id: int, draft: CampaignDraft, now: datetime, actor: Actor
    ) -> None:
        values = _draft_values(draft)
        with self.engines.begin() as conn:
            row = _locked(conn, campaign_id)
            if row is None:
                return
            changes = {
                k: {"from": _plain(getattr(row, k)), "to": _plain(v)}
                for k, v in values.items()
                if _plain(getattr(row, k)) != _plain(v)
            }
            if not changes:
                return
            conn.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id)
                .values(updated_at=now, version=campaigns.c.version + 1, **values)
            )
            _audit(
                conn,
                int(row.site_id),
                DeskAction.CAMPAIGN_EDIT,
                actor,
                now,
                campaign=row.public_id,
                **changes,
            )

    def set_open(self, campaign_id: int, is_open: bool, now: datetime, actor: Actor) -> None:
        with self.engines.begin() as conn:
            row = _locked(conn, campaign_id)
            if row is None or bool(row.open) == is_open:
                return
            conn.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id)
                .values(open=is_open, updated_at=now, version=campaigns.c.version + 1)
            )
            action = DeskAction.CAMPAIGN_REOPEN if is_open else DeskAction.CAMPAIGN_CLOSE
            _audit(conn, int(row.site_id), action, actor, now, campaign=row.public_id)

    # -- the ledger ----------------------------------------------------------------------------

    def _stored_entry(self, conn: Connection, site_id: int, entry: NewEntry) -> Entry | None:
        e = donation_entries.c
        row = conn.execute(
            select(donation_entries).where(
                e.site_id == site_id,
                e.source == entry.source.value,
                e.external_id == entry.external_id,
            )
        ).first()
        return None if row is None else entry_from_row(row)

    def record(
        self,
        site_id: int,
        entry: NewEntry,
        check: Callable[[Campaign], None],
        now: datetime,
        recorded_by: str,
        actor: Actor | None,
    ) -> Recorded:
        try:
            return self._record(site_id, entry, check, now, recorded_by, actor)
        except IntegrityError:
            # The same entry committed by another transaction meanwhile (for another campaign
            # of the site, whose lock did not order them): a replay.
            with self.engines.read.connect() as conn:
                stored = self._stored_entry(conn, site_id, entry)
                row = conn.execute(
                    select(campaigns).where(campaigns.c.public_id == entry.campaign_public_id)
                ).first()
            if stored is None or row is None:
                raise
            return Recorded(stored, True, campaign_from_row(row).totals)

    def _record(
        self,
        site_id: int,
        entry: NewEntry,
        check: Callable[[Campaign], None],
        now: datetime,
        recorded_by: str,
        actor: Actor | None,
    ) -> Recorded:
        with self.engines.begin() as conn:
            found = conn.execute(
                select(campaigns.c.id).where(campaigns.c.public_id == entry.campaign_public_id)
            ).first()
            row = _locked(conn, int(found.id)) if found is not None else None
            if row is None:
                raise LookupError(entry.campaign_public_id)  # the service checked it exists
            campaign = campaign_from_row(row)
            stored = self._stored_entry(conn, site_id, entry)
            if stored is not None:
                return Recorded(stored, True, campaign.totals)
            check(campaign)
            signed = entry.signed_minor
            new_id = conn.execute(
                donation_entries.insert()
                .values(
                    site_id=site_id,
                    campaign_id=campaign.id,
                    source=entry.source.value,
                    external_id=entry.external_id,
                    kind=entry.kind.value,
                    amount_minor=signed,
                    currency=entry.currency,
                    payment_ref=entry.payment_ref,
                    received_on=entry.on,
                    donor_name=entry.donor_name,
                    method=entry.method.value if entry.method else None,
                    note=entry.note,
                    recorded_at=now,
                    recorded_by=recorded_by[:200],
                )
                .returning(donation_entries.c.id)
            ).scalar_one()
            totals = self._apply(conn, site_id, campaign, entry, signed, now)
            if actor is not None:
                _audit(
                    conn,
                    site_id,
                    DeskAction.DONATION_RECORD,
                    actor,
                    now,
                    campaign=campaign.public_id,
                    amount_minor=signed,
                    currency=entry.currency,
                    method=entry.method.value if entry.method else None,
                    date=entry.on.isoformat(),
                    key=entry.external_id,
                )
            stored = self._stored_entry(conn, site_id, entry)
            assert stored is not None and stored.id == int(new_id)
        return Recorded(stored, False, totals)

    def _apply(
        self,
        conn: Connection,
        site_id: int,
        campaign: Campaign,
        entry: NewEntry,
        signed: int,
        now: datetime,
    ) -> Totals:
        """Move the donation's net and state, then the campaign's totals by the difference."""
        d = donations.c
        row = conn.execute(
            select(donations).where(
                d.site_id == site_id,
                d.source == entry.source.value,
                d.payment_ref == entry.payment_ref,
            )
        ).first()
        if row is None:
            before_paid, before_net, before_key, donation_id = False, 0, None, None
        else:
            before_paid, before_net = bool(row.paid), int(row.net_minor)
            before_key, donation_id = row.donor_key, int(row.id)
        paid = before_paid or entry.kind is EntryKind.PAYMENT
        net = before_net + signed
        # Who gave comes with the payment; one without a donor is a donor of its own.
        key = before_key or entry.donor_key
        anonymous = f"{entry.source.value}:{entry.payment_ref}"
        values = {
            "paid": paid,
            "net_minor": net,
            "counted": _counts(paid, net),
            "donor_key": key,
            "updated_at": now,
        }
        if donation_id is None:
            conn.execute(
                donations.insert().values(
                    site_id=site_id,
                    campaign_id=campaign.id,
                    source=entry.source.value,
                    payment_ref=entry.payment_ref,
                    **values,
                )
            )
        else:
            conn.execute(update(donations).where(d.id == donation_id).values(**values))
        was_counted = _counts(before_paid, before_net)
        counted = _counts(paid, net)
        raised = (net if counted else 0) - (before_net if was_counted else 0)
        donors = 0
        if was_counted:
            donors -= self._donor(conn, campaign.id, before_key or anonymous, -1)
        if counted:
            donors += self._donor(conn, campaign.id, key or anonymous, +1)
        c = campaigns.c
        conn.execute(
            update(campaigns)
            .where(c.id == campaign.id)
            .values(
                raised_minor=c.raised_minor + raised,
                donations=c.donations + (int(counted) - int(was_counted)),
                donors=c.donors + donors,
                version=c.version + 1,
                updated_at=now,
            )
        )
        after = conn.execute(
            select(c.raised_minor, c.donations, c.donors).where(c.id == campaign.id)
        ).one()
        return Totals(int(after.raised_minor), int(after.donations), int(after.donors))

    def _donor(self, conn: Connection, campaign_id: int, donor_key: str, step: int) -> int:
        """Move the donor's count of counted donations by ``step``; 1 when the donor starts or
        stops counting (their first donation counted, their last one gone), else 0."""
        k = campaign_donors.c
        key = donor_key[:255]
        row = conn.execute(
            select(k.donations).where(k.campaign_id == campaign_id, k.donor_key == key)
        ).first()
        before = int(row.donations) if row is not None else 0
        after = before + step
        if row is None:
            conn.execute(
                campaign_donors.insert().values(
                    campaign_id=campaign_id, donor_key=key, donations=after
                )
            )
        else:
            conn.execute(
                update(campaign_donors)
                .where(k.campaign_id == campaign_id, k.donor_key == key)
                .values(donations=after)
            )
        return int((before == 0) != (after == 0))

    def entries(self, campaign_id: int, limit: int) -> list[Entry]:
        e = donation_entries.c
        with self.engines.read.connect() as conn:
            rows = conn.execute(
                select(donation_entries)
                .where(e.campaign_id == campaign_id)
                .order_by(e.id.desc())
                .limit(limit)
            ).fetchall()
        return [entry_from_row(r) for r in rows]


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value
