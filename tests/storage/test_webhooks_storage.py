"""Webhook endpoints and their jobs in the database, on SQLite and PostgreSQL: every event
enqueues one ``webhook.deliver`` job per enabled endpoint that wants it, in the event's own
transaction (a rolled-back comment leaves none), keyed per (event, endpoint); the migration is
exactly the tables and goes down and up."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from rostra.domain.desk import DeskAction, Grounds, Role, StaffAccount
from rostra.domain.errors import InvalidInput
from rostra.domain.models import Author, CommentStatus
from rostra.domain.webhooks import Actor, WebhookEvent
from rostra.services.desk import DecisionRequest, ModerationDesk
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.moderation_port import Decision, Draft
from rostra.services.reports import ReaderReports
from rostra.services.tokens import ReaderTokens, Signer
from rostra.services.webhooks import DELIVER_JOB, Webhooks
from rostra.storage.migrate import current, downgrade, upgrade
from rostra.storage.repository import SqlStore
from rostra.storage.schema import SCHEMA_HEAD
from rostra.storage.tables import jobs, metadata, webhook_endpoints
from rostra.storage.webhooks import SqlWebhookStore
from tests.conftest import SECRET

ACTOR = Actor(None, "tester (command line)")

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
ADMIN = StaffAccount(1, "ada", "Ada", Role.ADMIN)


class Hold:
    def decide(self, draft: Draft) -> Decision:
        return Decision(CommentStatus.PENDING, reason="held by the test")


def deliveries(store: SqlStore) -> list[dict[str, Any]]:
    with store.engines.read.connect() as conn:
        found = conn.execute(
            select(jobs).where(jobs.c.kind == DELIVER_JOB).order_by(jobs.c.id)
        ).fetchall()
    return [{"key": r.idempotency_key, **json.loads(r.payload)} for r in found]


def hooks(store: SqlStore) -> Webhooks:
    # Registration's address check is webhooks' own test; these URLs need no resolver.
    return Webhooks(
        SqlWebhookStore(store.engines),
        allow_private=True,
        resolve=lambda host, port: ["93.184.215.14"],
        clock=lambda: NOW,
    )


def test_the_migration_matches_the_tables_and_goes_down_and_up(store: SqlStore) -> None:
    engine = store.engines.write
    assert current(engine) == SCHEMA_HEAD  # a later migration may follow 0007
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    downgrade(engine, "0006")
    names = inspect(engine).get_table_names()
    assert "webhook_endpoints" not in names and "webhook_deliveries" not in names
    upgrade(engine)
    assert current(engine) == SCHEMA_HEAD
    assert {"webhook_endpoints", "webhook_deliveries"} <= set(inspect(engine).get_table_names())


def test_a_published_comment_enqueues_one_job_per_endpoint_that_wants_it(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    other = store.create_site("other", "Other", [], {})
    w = hooks(store)
    both = w.add(site, "http://127.0.0.1:9/a", ["comment.published", "comment.held"], ACTOR)
    held_only = w.add(site, "http://127.0.0.1:9/b", ["comment.held"], ACTOR)
    off = w.add(site, "http://127.0.0.1:9/c", ["comment.published"], ACTOR)
    w.set_enabled(site, off.id, False, ACTOR)
    w.add(other, "http://127.0.0.1:9/d", ["comment.published"], ACTOR)
    talk = Discussion(store, ReaderTokens(Signer(SECRET)), clock=lambda: NOW)
    comment = talk.post(site, PostRequest("t1", "A first comment."), Author(reader_key=None))
    [job] = deliveries(store)
    assert job["endpoint"] == both.id and job["event"] == "comment.published"
    assert job["key"] == f"webhook:{job['event_id']}:{both.id}"
    assert job["data"] == {
        "comment": comment.public_id,
        "thread_id": comment.thread_id,
        "status": "published",
    }
    assert job["site"] == "news" and job["created_at"] == NOW.isoformat()
    # Held: both endpoints that want comment.held, under one event id.
    held = Discussion(store, ReaderTokens(Signer(SECRET)), moderator=Hold(), clock=lambda: NOW)
    held.post(site, PostRequest("t1", "Another one."), Author(reader_key=None))
    later = [j for j in deliveries(store) if j["event"] == "comment.held"]
    assert sorted(j["endpoint"] for j in later) == sorted([both.id, held_only.id])
    assert len({j["event_id"] for j in later}) == 1 and len({j["key"] for j in later}) == 2


def test_a_comment_that_rolls_back_leaves_no_webhook_job(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {"auto_create_threads": False})
    hooks(store).add(site, "http://127.0.0.1:9/a", ["comment.published"], ACTOR)
    talk = Discussion(store, ReaderTokens(Signer(SECRET)), clock=lambda: NOW)
    with pytest.raises(Exception):  # noqa: B017,PT011 - the thread does not exist: NotFound
        talk.post(site, PostRequest("nowhere", "A comment."), Author(reader_key=None))
    assert deliveries(store) == []


def test_a_decision_and_a_report_enqueue_their_events(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    endpoint = hooks(store).add(
        site,
        "https://hooks.example/x",
        ["comment.decided", "comment.reported", "comment.published"],
        ACTOR,
    )
    tokens = ReaderTokens(Signer(SECRET))
    held = Discussion(store, tokens, moderator=Hold(), clock=lambda: NOW)
    comment = held.post(site, PostRequest("t1", "Held first."), Author(reader_key=None))
    assert deliveries(store) == []
    ModerationDesk(store, clock=lambda: NOW).decide(
        ADMIN,
        site,
        DecisionRequest(DeskAction.APPROVE, [comment.public_id], Grounds.GUIDELINES_MET),
    )
    kinds = {j["event"]: j for j in deliveries(store)}
    assert set(kinds) == {"comment.decided", "comment.published"}
    assert kinds["comment.decided"]["data"] == {
        "comment": comment.public_id,
        "thread_id": comment.thread_id,
        "status": "published",
        "action": "approve",
        "from_status": "pending",
    }
    reader = Author(reader_key=tokens.reader_key("a-reader"))
    ReaderReports(store, clock=lambda: NOW).report(
        site, comment.public_id, "spam", "my note", reader
    )
    [report] = [j for j in deliveries(store) if j["event"] == "comment.reported"]
    assert report["endpoint"] == endpoint.id and report["data"]["reason"] == "spam"
    assert "my note" not in json.dumps(report)


def test_bad_urls_and_events_are_refused_and_write_nothing(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    w = Webhooks(SqlWebhookStore(store.engines), clock=lambda: NOW)
    bad = [
        ("https://hooks.example/a\r\nX-Evil: 1", ["comment.published"], "invalid-url"),
        ("https://hooks.example/a\nb", ["comment.published"], "invalid-url"),
        ("ftp://hooks.example/a", ["comment.published"], "invalid-url"),
        ("file:///etc/passwd", ["comment.published"], "invalid-url"),
        ("javascript:alert(1)", ["comment.published"], "invalid-url"),
        ("https://user:pw@hooks.example/a", ["comment.published"], "invalid-url"),
        ("https://" + "a" * 2000 + ".example/", ["comment.published"], "invalid-url"),
        ("http://127.0.0.1:8080/hook", ["comment.published"], "refused-address"),
        ("http://[::1]/hook", ["comment.published"], "refused-address"),
        ("http://10.1.2.3/hook", ["comment.published"], "refused-address"),
        ("http://169.254.169.254/latest", ["comment.published"], "refused-address"),
        ("http://[::ffff:127.0.0.1]/hook", ["comment.published"], "refused-address"),
        ("https://hooks.example/a", ["comment.deleted"], "invalid-events"),
        ("https://hooks.example/a", ["webhook.test"], "invalid-events"),
        ("https://hooks.example/a", [], "no-events"),
    ]
    for url, events, code in bad:
        with pytest.raises(InvalidInput) as caught:
            w.add(site, url, events, ACTOR)
        assert caught.value.code == code, url
    with store.engines.read.connect() as conn:
        assert conn.execute(select(webhook_endpoints)).fetchall() == []


def test_a_name_resolving_to_a_private_address_is_refused_unless_allowed(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    inside = {"intranet.example": ["192.168.1.20"], "mixed.example": ["93.184.215.14", "10.0.0.1"]}

    def resolve(host: str, port: int) -> list[str]:
        return inside[host]

    strict = Webhooks(SqlWebhookStore(store.engines), resolve=resolve, clock=lambda: NOW)
    for host in inside:
        with pytest.raises(InvalidInput) as caught:
            strict.add(site, f"https://{host}/hook", ["comment.published"], ACTOR)
        assert caught.value.code == "refused-address"
    allowed = Webhooks(
        SqlWebhookStore(store.engines), allow_private=True, resolve=resolve, clock=lambda: NOW
    )
    made = allowed.add(site, "https://intranet.example/hook", [WebhookEvent.PUBLISHED.value], ACTOR)
    assert made.enabled and made.secret.startswith("whsec_") and len(made.secret) == 70


def test_the_delivery_log_keeps_the_newest_attempts_of_each_endpoint(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    w = hooks(store)
    first = w.add(site, "http://127.0.0.1:9/a", ["comment.held"], ACTOR)
    second = w.add(site, "http://127.0.0.1:9/b", ["comment.held"], ACTOR)
    log = SqlWebhookStore(store.engines, keep_deliveries=3)
    for n in range(1, 6):
        log.record_delivery(
            first.id,
            f"evt_{n}",
            "comment.held",
            1,
            NOW,
            200,
            "delivered",
            ok=True,
            disable_after=10,
        )
    log.record_delivery(
        second.id, "evt_b", "comment.held", 1, NOW, 200, "delivered", ok=True, disable_after=10
    )
    kept = [(d.endpoint_id, d.event_id) for d in log.deliveries(site.id, 50)]
    assert kept == [
        (second.id, "evt_b"),
        (first.id, "evt_5"),
        (first.id, "evt_4"),
        (first.id, "evt_3"),
    ]
