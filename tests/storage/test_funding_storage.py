"""Campaigns and the donations ledger on SQLite and PostgreSQL: one service call records every
entry, a replay counts once, refunds and lost disputes lower the totals in whatever order they
arrive, totals are a row kept in step (checked against the ledger), bad input records nothing,
and every admin change is in the audit log; the migration is exactly the tables and goes down
and up."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from rostra.domain.desk import DeskAction
from rostra.domain.errors import Conflict, InvalidInput, NotFound, RostraError
from rostra.domain.funding import EntryKind, NewEntry, Source, Totals
from rostra.domain.models import Site
from rostra.domain.webhooks import Actor
from rostra.services.funding import CampaignFields, Funding, OfflineDonation
from rostra.storage.funding import SqlFundingStore
from rostra.storage.migrate import current, downgrade, upgrade
from rostra.storage.repository import SqlStore
from rostra.storage.schema import SCHEMA_HEAD
from rostra.storage.tables import audit_log, campaigns, donation_entries, metadata

ADMIN = Actor(7, "Ada")
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
DAY = date(2026, 12, 7)


def funding(store: SqlStore) -> Funding:
    return Funding(SqlFundingStore(store.engines), clock=lambda: NOW)


def usd_campaign(f: Funding, site: Site, **fields: str) -> str:
    given = {"title": "Winter drive", "goal": "5000", "currency": "USD", **fields}
    return f.add_campaign(site, CampaignFields(**given), ADMIN).public_id


def entry(
    campaign: str,
    event: str,
    kind: EntryKind,
    minor: int,
    payment: str,
    donor: str | None = None,
    currency: str = "USD",
) -> NewEntry:
    return NewEntry(
        campaign_public_id=campaign,
        source=Source.STRIPE,
        external_id=event,
        kind=kind,
        amount_minor=minor,
        currency=currency,
        payment_ref=payment,
        on=DAY,
        donor_key=donor,
    )


def ledger_sums(store: SqlStore, campaign: str) -> tuple[int, int]:
    e = donation_entries.c
    with store.engines.read.connect() as conn:
        cid = conn.execute(select(campaigns.c.id).where(campaigns.c.public_id == campaign)).one()
        total, count = conn.execute(
            select(func.coalesce(func.sum(e.amount_minor), 0), func.count()).where(
                e.campaign_id == cid.id
            )
        ).one()
    return int(total), int(count)


def test_the_migration_matches_the_tables_and_goes_down_and_up(store: SqlStore) -> None:
    engine = store.engines.write
    assert current(engine) == SCHEMA_HEAD
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    downgrade(engine, "0011")
    names = set(inspect(engine).get_table_names())
    assert not names & {"campaigns", "donation_entries", "donations", "campaign_donors"}
    upgrade(engine)
    assert {"campaigns", "donation_entries", "donations", "campaign_donors"} <= set(
        inspect(engine).get_table_names()
    )


def test_a_campaign_keeps_its_goal_in_minor_units_and_default_ticks(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    usd = f.campaign(site, usd_campaign(f, site, goal="5000.50"))
    assert (usd.goal, usd.exponent, usd.marks()) == (500050, 2, (0, 250025, 500050))
    yen = f.add_campaign(
        site,
        CampaignFields(title="Yen", goal="300000", currency="jpy", ticks="0,100000,300000"),
        ADMIN,
    )
    assert (yen.goal, yen.currency, yen.exponent, yen.marks()) == (
        300000,
        "JPY",
        0,
        (0, 100000, 300000),
    )
    with pytest.raises(InvalidInput) as refused:
        f.add_campaign(site, CampaignFields(title="Yen", goal="10.5", currency="JPY"), ADMIN)
    assert refused.value.code == "invalid-amount"
    assert [c.public_id for c in f.campaigns(site)] == [usd.public_id, yen.public_id]


def test_replays_count_once_and_refunds_lower_the_total(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    cid = usd_campaign(f, site)
    first = f.record(site, entry(cid, "evt_1", EntryKind.PAYMENT, 5000, "pi_1", "cus_a"), "stripe")
    assert (first.replayed, first.totals) == (False, Totals(5000, 1, 1))
    again = f.record(site, entry(cid, "evt_1", EntryKind.PAYMENT, 5000, "pi_1", "cus_a"), "stripe")
    assert again.replayed and again.totals == Totals(5000, 1, 1)
    assert again.entry.id == first.entry.id
    f.record(site, entry(cid, "evt_2", EntryKind.PAYMENT, 2500, "pi_2", "cus_a"), "stripe")
    assert f.campaign(site, cid).totals == Totals(7500, 2, 1)  # one donor, two donations
    f.record(site, entry(cid, "evt_3", EntryKind.REFUND, 1000, "pi_2"), "stripe")
    assert f.campaign(site, cid).totals == Totals(6500, 2, 1)  # partly refunded: still counts
    f.record(site, entry(cid, "evt_4", EntryKind.DISPUTE_LOST, 5000, "pi_1"), "stripe")
    assert f.campaign(site, cid).totals == Totals(1500, 1, 1)  # pi_1 no longer counts
    f.record(site, entry(cid, "evt_5", EntryKind.REFUND, 1500, "pi_2"), "stripe")
    assert f.campaign(site, cid).totals == Totals(0, 0, 0)  # the donor has nothing left
    assert ledger_sums(store, cid) == (0, 5)


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_any_order_of_events_ends_in_the_same_totals(store: SqlStore, order: tuple[int]) -> None:
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    cid = usd_campaign(f, site)
    events = [
        entry(cid, "evt_pay_1", EntryKind.PAYMENT, 3000, "pi_1", "cus_a"),
        entry(cid, "evt_refund_1", EntryKind.REFUND, 1000, "pi_1"),
        entry(cid, "evt_pay_2", EntryKind.PAYMENT, 2000, "pi_2", "cus_b"),
        entry(cid, "evt_lost_2", EntryKind.DISPUTE_LOST, 2000, "pi_2"),
    ]
    for index in order:
        f.record(site, events[index], "stripe")
        # Never below zero, never more than was paid, whatever came first.
        totals = f.campaign(site, cid).totals
        assert 0 <= totals.raised_minor <= 5000
    assert f.campaign(site, cid).totals == Totals(2000, 1, 1)


def test_a_refund_before_its_payment_neither_counts_nor_goes_negative(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    cid = usd_campaign(f, site)
    f.record(site, entry(cid, "evt_pay_0", EntryKind.PAYMENT, 900, "pi_0", "cus_z"), "stripe")
    f.record(site, entry(cid, "evt_refund", EntryKind.REFUND, 400, "pi_1"), "stripe")
    assert f.campaign(site, cid).totals == Totals(900, 1, 1)
    f.record(site, entry(cid, "evt_pay", EntryKind.PAYMENT, 1000, "pi_1", "cus_a"), "stripe")
    assert f.campaign(site, cid).totals == Totals(1500, 2, 2)


def test_bad_entries_record_nothing(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    other = store.create_site("other", "Other", [], {})
    f = funding(store)
    cid = usd_campaign(f, site)
    foreign = usd_campaign(f, other)
    cases: list[tuple[NewEntry, type[RostraError], str]] = [
        (
            entry(cid, "e1", EntryKind.PAYMENT, 100, "p1", currency="EUR"),
            InvalidInput,
            "currency-mismatch",
        ),
        (entry(foreign, "e2", EntryKind.PAYMENT, 100, "p2"), NotFound, "campaign-not-found"),
        (
            entry("cmp_0000000000000000", "e3", EntryKind.PAYMENT, 1, "p3"),
            NotFound,
            "campaign-not-found",
        ),
        (
            entry(cid, "bad id with spaces", EntryKind.PAYMENT, 100, "p4"),
            InvalidInput,
            "invalid-key",
        ),
    ]
    for bad, error, code in cases:
        with pytest.raises(error) as refused:
            f.record(site, bad, "stripe")
        assert refused.value.code == code
    f.set_open(site, cid, False, ADMIN)
    with pytest.raises(Conflict) as closed:
        f.record(site, entry(cid, "e5", EntryKind.PAYMENT, 100, "p5"), "stripe")
    assert closed.value.code == "campaign-closed"
    assert ledger_sums(store, cid) == (0, 0) and ledger_sums(store, foreign) == (0, 0)
    assert f.campaign(site, cid).totals == Totals()


def test_a_closed_campaign_still_takes_its_refunds(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    cid = usd_campaign(f, site)
    f.record(site, entry(cid, "evt_1", EntryKind.PAYMENT, 5000, "pi_1"), "stripe")
    f.set_open(site, cid, False, ADMIN)
    f.record(site, entry(cid, "evt_2", EntryKind.REFUND, 5000, "pi_1"), "stripe")
    assert f.campaign(site, cid).totals == Totals(0, 0, 0)


def offline(campaign: str, **changes: str) -> OfflineDonation:
    given = {
        "campaign": campaign,
        "amount": "25.50",
        "currency": "USD",
        "method": "cheque",
        "on": "2026-12-07",
        "key": "form-1",
        "donor": "Mira <b>Ko</b>",
        **changes,
    }
    return OfflineDonation(**given)


def test_offline_donations_are_idempotent_and_audited(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    cid = usd_campaign(f, site)
    done = f.record_offline(site, offline(cid), ADMIN)
    assert done.totals == Totals(2550, 1, 1)
    assert done.entry.donor_name == "Mira <b>Ko</b>"  # stored as typed, escaped on output
    with pytest.raises(Conflict) as twice:
        f.record_offline(site, offline(cid), ADMIN)
    assert twice.value.code == "already-recorded"
    with pytest.raises(Conflict) as reused:
        f.record_offline(site, offline(cid, amount="30"), ADMIN)
    assert reused.value.code == "key-reused"
    f.record_offline(site, offline(cid, key="form-2", donor="mira <B>ko</B>"), ADMIN)
    assert f.campaign(site, cid).totals == Totals(5100, 2, 1)  # the same donor, by name
    with store.engines.read.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.actor_name, audit_log.c.detail).order_by(
                audit_log.c.id
            )
        ).fetchall()
    assert [r.action for r in rows] == [
        DeskAction.CAMPAIGN_ADD.value,
        DeskAction.DONATION_RECORD.value,
        DeskAction.DONATION_RECORD.value,
    ]
    assert {r.actor_name for r in rows} == {"Ada"}
    detail = json.loads(rows[1].detail)
    assert (detail["amount_minor"], detail["method"], detail["key"]) == (2550, "cheque", "form-1")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount": "-5"}, "invalid-amount"),
        ({"amount": "0"}, "invalid-amount"),
        ({"amount": "0.00"}, "invalid-amount"),
        ({"amount": "1.234"}, "invalid-amount"),
        ({"amount": "1e5"}, "invalid-amount"),
        ({"amount": "NaN"}, "invalid-amount"),
        ({"amount": "twenty"}, "invalid-amount"),
        ({"amount": "99999999999"}, "amount-too-large"),
        ({"currency": "EUR"}, "currency-mismatch"),
        ({"currency": "XYZW"}, "invalid-currency"),
        ({"method": "crypto"}, "invalid-method"),
        ({"on": "07/12/2026"}, "invalid-date"),
        ({"key": ""}, "invalid-key"),
        ({"donor": "x" * 201}, "invalid-text"),
        ({"donor": "line\nbreak"}, "invalid-text"),
    ],
)
def test_bad_offline_donations_record_nothing(
    store: SqlStore, changes: dict[str, str], code: str
) -> None:
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    cid = usd_campaign(f, site)
    with pytest.raises(InvalidInput) as refused:
        f.record_offline(site, offline(cid, **changes), ADMIN)
    assert refused.value.code == code
    assert ledger_sums(store, cid) == (0, 0)
    with store.engines.read.connect() as conn:
        actions = conn.execute(select(audit_log.c.action)).scalars().all()
    assert actions == [DeskAction.CAMPAIGN_ADD.value]


def test_a_payment_outside_the_period_is_refused(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    cid = usd_campaign(f, site, starts_on="2026-12-01", ends_on="2026-12-31")
    with pytest.raises(InvalidInput) as early:
        f.record_offline(site, offline(cid, on="2026-11-30"), ADMIN)
    assert early.value.code == "outside-period"
    f.record_offline(site, offline(cid, on="2026-12-31"), ADMIN)
    assert f.campaign(site, cid).totals.donations == 1


def test_updates_and_closing_are_audited_and_bump_the_version(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    cid = usd_campaign(f, site)
    before = f.campaign(site, cid).version
    changed = f.update_campaign(site, cid, CampaignFields(title="Spring drive", goal="8000"), ADMIN)
    assert (changed.title, changed.goal, changed.currency) == ("Spring drive", 800000, "USD")
    assert changed.version > before
    closed = f.set_open(site, cid, False, ADMIN)
    assert not closed.open and closed.version > changed.version
    with store.engines.read.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.detail).order_by(audit_log.c.id)
        ).fetchall()
    assert [r.action for r in rows] == ["campaign_add", "campaign_edit", "campaign_close"]
    assert json.loads(rows[1].detail)["title"] == {"from": "Winter drive", "to": "Spring drive"}
    f.set_open(site, cid, True, ADMIN)
    f.record_offline(site, offline(cid), ADMIN)
    with pytest.raises(Conflict) as locked:
        f.update_campaign(site, cid, CampaignFields(currency="EUR", goal="10"), ADMIN)
    assert locked.value.code == "currency-locked"


def test_concurrent_entries_each_count_once(store: SqlStore) -> None:
    """Eight threads record the same 200 entries (every one four times over): each counts once
    and the totals row equals the ledger's sum."""
    site = store.create_site("news", "News", [], {})
    f = funding(store)
    cid = usd_campaign(f, site)
    entries = [
        entry(cid, f"evt_{i}", EntryKind.PAYMENT, 100 + i, f"pi_{i}", f"cus_{i % 50}")
        for i in range(200)
    ]
    errors: list[BaseException] = []

    def work(part: int) -> None:
        try:
            for e in entries[(part % 2) * 100 :] + entries[: (part % 2) * 100]:
                f.record(site, e, "stripe")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = sum(100 + i for i in range(200))
    assert f.campaign(site, cid).totals == Totals(expected, 200, 50)
    assert ledger_sums(store, cid) == (expected, 200)
