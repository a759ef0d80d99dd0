""" "Notify me of" in the database, on SQLite and PostgreSQL: a subscription commits with the
comment that asked for it and its confirmation job, or none of them does; one row per (site,
subscriber, target); addresses are sealed, found by keyed hash (``%`` and ``_`` are literal),
re-sealed by key rotation; the migration is exactly the tables and goes down and up."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, update

from rostra.domain.errors import Forbidden, InvalidInput, NotFound, TooManyRequests
from rostra.domain.models import Author
from rostra.domain.subscriptions import Cadence, NotifyChoice, SubscriptionState
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.sealed_addresses import AddressBox, rotate_addresses
from rostra.services.subscriptions import FollowRequest, Subscriptions
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.migrate import current, downgrade, upgrade
from rostra.storage.repository import SqlStore
from rostra.storage.schema import SCHEMA_HEAD
from rostra.storage.subscriptions import SqlSubscriptionReads
from rostra.storage.tables import comments, jobs, metadata, subscribers, subscriptions, threads
from tests.conftest import SECRET

# The confirmation mails queued (other kinds of job, a published comment's, are not these tests').
CONFIRMATIONS = select(jobs).where(jobs.c.kind == "notify.confirm").subquery()
NOW = datetime(2026, 12, 3, 14, 0, 30, tzinfo=UTC)
ADDRESS = "Ines.Moreau@News.example"


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> datetime:
        return self.at


def service(store: SqlStore, secret: str = SECRET, clock: Clock | None = None) -> Subscriptions:
    signer = Signer(secret)
    return Subscriptions(
        store,
        SqlSubscriptionReads(store.engines),
        signer,
        ReaderTokens(signer),
        AddressBox(secret),
        clock=clock or Clock(),
    )


def discussion(store: SqlStore, subs: Subscriptions) -> Discussion:
    return Discussion(store, ReaderTokens(Signer(SECRET)), clock=subs.clock, subscriptions=subs)


def rows(store: SqlStore, table: Any) -> list[Any]:
    with store.engines.read.connect() as conn:
        return list(conn.execute(select(table)).fetchall())


def count(store: SqlStore, table: Any) -> int:
    with store.engines.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def dump(store: SqlStore) -> str:
    """Every stored value of every table, as text."""
    return json.dumps([[list(map(str, r)) for r in rows(store, t)] for t in metadata.sorted_tables])


def test_the_migration_matches_the_tables_and_goes_down_and_up(store: SqlStore) -> None:
    engine = store.engines.write
    assert current(engine) == SCHEMA_HEAD
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    downgrade(engine, "0004")
    names = inspect(engine).get_table_names()
    assert "subscriptions" not in names and "subscribers" not in names
    upgrade(engine)
    assert current(engine) == SCHEMA_HEAD and count(store, subscriptions) == 0


def test_a_comment_its_subscription_and_its_confirmation_job_commit_together(
    store: SqlStore,
) -> None:
    site = store.create_site("news", "News", [], {})
    subs = service(store)
    posted = discussion(store, subs).post(
        site,
        PostRequest("t1", "A first comment.", email=ADDRESS, notify="replies", language="fr"),
        Author(reader_key=None),
    )
    [row] = rows(store, subscriptions)
    assert (row.target, row.comment_id, row.state, row.language, row.cadence) == (
        "replies",
        posted.id,
        "pending",
        "fr",
        "immediate",
    )
    [job] = rows(store, CONFIRMATIONS)
    assert job.kind == "notify.confirm"
    assert json.loads(job.payload) == {
        "site": site.id,
        "slug": "news",
        "subscriber": row.subscriber_id,
    }
    # Sealed and hashed: neither the address nor its lower-case form is stored anywhere.
    text = dump(store)
    assert ADDRESS not in text and ADDRESS.lower() not in text and "News.example" not in text
    [subscriber] = rows(store, subscribers)
    assert AddressBox(SECRET).open(subscriber.address, site.id) == "Ines.Moreau@news.example"


def test_a_refused_comment_leaves_no_subscription_and_no_job(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    subs = service(store)
    talk = discussion(store, subs)
    talk.post(site, PostRequest("t1", "First."), Author(reader_key=None))
    with store.engines.write.begin() as conn:
        conn.execute(update(threads).values(closed=True))
    with pytest.raises(Forbidden):
        talk.post(site, PostRequest("t1", "Second.", email=ADDRESS, notify="thread"), Author(None))
    assert (
        count(store, subscriptions) == count(store, CONFIRMATIONS) == count(store, subscribers) == 0
    )
    assert count(store, comments) == 1


@pytest.mark.parametrize(
    "email",
    [
        None,
        "",
        "not an address",
        "ines@news.example\r\nBcc: all@news.example",
        "ines@news.example\n",
        "x" * 65 + "@news.example",
        "ines@" + "a" * 250 + ".example",
        "inès@news.example",
        "ines@localhost",
        "a@b@news.example",
    ],
    ids=[
        "none",
        "empty",
        "words",
        "crlf",
        "lf",
        "long-local",
        "long",
        "non-ascii",
        "one-label",
        "two-at",
    ],
)
def test_a_bad_address_with_notify_writes_nothing(store: SqlStore, email: str | None) -> None:
    site = store.create_site("news", "News", [], {})
    talk = discussion(store, service(store))
    with pytest.raises(InvalidInput) as refused:
        talk.post(site, PostRequest("t1", "Hello.", email=email, notify="thread"), Author(None))
    assert refused.value.field == "email"
    assert refused.value.code in ("invalid-email", "notify-needs-email")
    assert count(store, comments) == count(store, subscriptions) == count(store, CONFIRMATIONS) == 0


def test_one_row_per_subscriber_and_target_and_one_confirmation_a_day(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    talk = discussion(store, service(store))
    talk.post(site, PostRequest("t1", "Hello."), Author(None))
    clock = Clock()
    subs = service(store, clock=clock)
    for cadence in ("immediate", "daily", "hourly"):
        subs.follow(site, FollowRequest("t1", ADDRESS.upper(), cadence))
    [row] = rows(store, subscriptions)
    assert (row.cadence, row.state) == ("hourly", "pending")
    assert count(store, CONFIRMATIONS) == 1  # one mail for the day, however many requests
    clock.at += timedelta(days=1)
    subs.follow(site, FollowRequest("t1", ADDRESS))
    assert count(store, CONFIRMATIONS) == 2 and count(store, subscriptions) == 1


def test_like_wildcards_in_an_address_are_literal(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    discussion(store, service(store)).post(site, PostRequest("t1", "Hello."), Author(None))
    subs = service(store)
    subs.follow(site, FollowRequest("t1", "a%b_c@news.example"))
    subs.follow(site, FollowRequest("t1", "axxbyc@news.example"))
    subs.follow(site, FollowRequest("t1", "%@news.example"))
    keys = {r.key for r in rows(store, subscribers)}
    assert len(keys) == 3 and count(store, subscriptions) == 3
    box = AddressBox(SECRET)
    opened = {box.open(r.address, site.id) for r in rows(store, subscribers)}
    assert opened == {"a%b_c@news.example", "axxbyc@news.example", "%@news.example"}


def test_following_an_unknown_or_closed_thread_writes_nothing(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    subs = service(store)
    with pytest.raises(NotFound):
        subs.follow(site, FollowRequest("no-such-thread", ADDRESS))
    assert count(store, subscribers) == count(store, CONFIRMATIONS) == 0


def test_the_per_address_limit_refuses_the_flood(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    discussion(store, service(store)).post(site, PostRequest("t1", "Hello."), Author(None))
    subs = service(store)
    answers = []
    for _ in range(100):
        try:
            subs.follow(site, FollowRequest("t1", ADDRESS))
            answers.append("ok")
        except TooManyRequests as exc:
            assert exc.code == "notify-rate-limited"
            answers.append("refused")
    assert answers.count("ok") == subs.limits.per_address
    assert count(store, CONFIRMATIONS) == 1 and count(store, subscriptions) == 1


def test_confirming_works_once_and_stopping_all_asks_again(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    subs = service(store)
    talk = discussion(store, subs)
    talk.post(site, PostRequest("t1", "Hello.", email=ADDRESS, notify="thread"), Author(None))
    [subscriber] = rows(store, subscribers)
    confirmation = subs.confirmation(site, subscriber.id)
    assert confirmation is not None and confirmation.address == "Ines.Moreau@news.example"
    assert subs.confirm(site, confirmation.confirm_token) == 1
    assert [r.state for r in rows(store, subscriptions)] == ["confirmed"]
    assert subs.confirmation(site, subscriber.id) is None  # nothing more to confirm
    # Confirmed: a second subscription is live at once, and needs no new mail.
    talk.post(site, PostRequest("t2", "Elsewhere.", email=ADDRESS, notify="thread"), Author(None))
    assert {r.state for r in rows(store, subscriptions)} == {SubscriptionState.CONFIRMED.value}
    assert count(store, CONFIRMATIONS) == 1
    assert subs.stop(site, confirmation.manage_token, None) == 2
    assert subs.stop(site, confirmation.manage_token, None) == 0  # idempotent
    subs.follow(site, FollowRequest("t1", ADDRESS))
    assert {r.state for r in rows(store, subscriptions) if r.ended_at is None} == {"pending"}
    # Back the same day: a new mail, whose new link confirms (the old one was used up).
    assert count(store, CONFIRMATIONS) == 2
    again = subs.confirmation(site, subscriber.id)
    assert again is not None and again.confirm_token != confirmation.confirm_token
    assert subs.confirm(site, again.confirm_token) == 1


def test_rotation_reseals_every_address_under_the_new_secret(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    subs = service(store)
    discussion(store, subs).post(site, PostRequest("t1", "Hello."), Author(None))
    subs.follow(site, FollowRequest("t1", ADDRESS))
    subs.follow(site, FollowRequest("t1", "other@news.example"))
    new_secret = "another-secret-key-that-is-long-enough-987654"
    assert rotate_addresses(store, SECRET, new_secret) == (2, 0)
    assert rotate_addresses(store, SECRET, new_secret) == (0, 2)  # a rerun changes nothing
    new_tokens = ReaderTokens(Signer(new_secret))
    box = AddressBox(new_secret)
    found = {(box.open(r.address, site.id), r.email_hash) for r in rows(store, subscribers)}
    assert found == {
        ("Ines.Moreau@news.example", new_tokens.email_hash(ADDRESS)),
        ("other@news.example", new_tokens.email_hash("other@news.example")),
    }
    # Under the new secret, the same address is the same subscriber (one row, not two).
    service(store, new_secret).follow(site, FollowRequest("t1", ADDRESS, Cadence.DAILY.value))
    assert count(store, subscribers) == 2
    with pytest.raises(ValueError):
        rotate_addresses(store, "a-wrong-secret-key-that-is-long-enough-00", SECRET)


def test_the_choice_must_be_known(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    talk = discussion(store, service(store))
    with pytest.raises(InvalidInput) as refused:
        talk.post(site, PostRequest("t1", "Hi.", email=ADDRESS, notify="all"), Author(None))
    assert refused.value.code == "invalid-notify"
    assert NotifyChoice("none") is NotifyChoice.NONE
    assert count(store, comments) == 0
