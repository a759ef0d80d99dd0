"""The jobs outbox on SQLite and PostgreSQL: a job commits with the transaction that enqueues
it or not at all, an idempotency key is enqueued once, and the migration creates exactly the
table the code uses and goes down and up again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from rostra.domain.models import CommentStatus
from rostra.jobs.queue import Claim, JobState
from rostra.jobs_cli import WORKER_CACHE_KIB
from rostra.services.ports import NewComment, NewJob
from rostra.storage.database import SQLITE_CACHE_KIB, create_engines
from rostra.storage.jobs import SqlJobQueue, wake_after_commit
from rostra.storage.migrate import current, downgrade, upgrade
from rostra.storage.repository import SqlStore, SqlWriteTransaction
from rostra.storage.schema import SCHEMA_HEAD
from rostra.storage.tables import comments, jobs, metadata

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


class Abandon(Exception):
    """Raised inside a write transaction to roll it back."""


def post_with_job(tx: SqlWriteTransaction, site_id: int, key: str) -> None:
    thread = tx.get_or_create_thread(site_id, "t1", "https://news.example/t1", "T", NOW, True)
    assert thread is not None
    comment = tx.insert_comment(
        NewComment(
            public_id=f"c-{key}",
            thread_id=thread.id,
            parent=None,
            author_name="Ines",
            reader_key=None,
            account_id=None,
            email_hash=None,
            body="A note on the harbour works.",
            html="<p>A note on the harbour works.</p>",
            status=CommentStatus.PUBLISHED,
            created_at=NOW,
            client_nonce=None,
        )
    )
    job = NewJob("test.notify", {"comment": comment.id}, f"notify:{key}")
    assert tx.enqueue(job, NOW) is True


def count(store: SqlStore, table: object) -> int:
    with store.engines.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)  # type: ignore[arg-type]


def test_a_rolled_back_transaction_leaves_no_job_and_a_committed_one_leaves_both(
    store: SqlStore,
) -> None:
    site = store.create_site("news", "News", [], {})
    with pytest.raises(Abandon), store.write() as tx:
        post_with_job(tx, site.id, "first")
        raise Abandon
    assert count(store, comments) == 0 and count(store, jobs) == 0

    with store.write() as tx:
        post_with_job(tx, site.id, "second")
    assert count(store, comments) == 1 and count(store, jobs) == 1
    [record] = SqlJobQueue(store.engines).list_jobs(None, 10)
    assert record.idempotency_key == "notify:second"
    assert (record.kind, record.state, record.attempts) == ("test.notify", JobState.QUEUED, 0)
    assert record.run_after == NOW and record.created_at == NOW and record.finished_at is None


def test_a_commit_that_queued_a_job_wakes_once_it_can_be_seen_and_nothing_else_does(
    store: SqlStore,
) -> None:
    site = store.create_site("news", "News", [], {})
    seen: list[int] = []
    # What a runner woken now would find: the job is visible when the callback runs.
    wake_after_commit(store.engines, lambda: seen.append(count(store, jobs)))
    with pytest.raises(Abandon), store.write() as tx:
        post_with_job(tx, site.id, "rolled-back")
        raise Abandon
    assert seen == []
    with store.write() as tx:
        post_with_job(tx, site.id, "kept")
    assert seen == [1]
    with store.write() as tx:  # the same key again: no job added
        assert tx.enqueue(NewJob("test.notify", {}, "notify:kept"), NOW) is False
    with store.write() as tx:  # due later (a digest): nothing to run now
        later = NewJob("test.notify", {}, "later", run_after=datetime.now(UTC) + timedelta(days=1))
        assert tx.enqueue(later, datetime.now(UTC))
    store.create_site("other", "Other", [], {})  # a write without a job
    assert seen == [1]
    queue = SqlJobQueue(store.engines)
    [dead] = queue.claim(Claim("w", NOW, 1, 60, 8))
    assert queue.fail(dead, "w", NOW, "Boom", None) and seen == [1]
    assert queue.retry(dead.id, NOW) and seen == [1, 2]
    assert not queue.retry(dead.id, NOW) and queue.retry_dead(NOW) == 0 and seen == [1, 2]


def test_the_same_idempotency_key_is_enqueued_once(store: SqlStore) -> None:
    job = NewJob("test.notify", {"comment": 1}, "notify:1")
    with store.write() as tx:
        assert tx.enqueue(job, NOW) is True
        # Within the same transaction, and in a later one, whatever the payload says.
        assert tx.enqueue(NewJob("test.notify", {"comment": 2}, "notify:1"), NOW) is False
    with store.write() as tx:
        assert tx.enqueue(job, NOW + timedelta(hours=1)) is False
        assert tx.enqueue(NewJob("test.notify", {"comment": 1}, "notify:2"), NOW) is True
    with store.engines.read.connect() as conn:
        rows = conn.execute(select(jobs.c.idempotency_key, jobs.c.payload).order_by(jobs.c.id))
        assert [tuple(r) for r in rows] == [
            ("notify:1", '{"comment":1}'),
            ("notify:2", '{"comment":1}'),
        ]


@pytest.mark.parametrize(
    "job",
    [
        NewJob("Not A Kind", {}, "k"),
        NewJob("", {}, "k"),
        NewJob("test.notify", {}, ""),
        NewJob("test.notify", {}, "k" * 201),
        NewJob("test.notify", {}, "k\x00"),
        NewJob("test.notify", {"text": "x" * 70_000}, "k"),
        NewJob("test.notify", {"score": float("nan")}, "k"),
    ],
    ids=["capitals", "empty-kind", "empty-key", "long-key", "nul-key", "big", "nan"],
)
def test_a_malformed_job_is_refused_and_nothing_is_written(store: SqlStore, job: NewJob) -> None:
    with pytest.raises(ValueError), store.write() as tx:
        tx.enqueue(job, NOW)
    assert count(store, jobs) == 0


def test_the_jobs_migration_matches_the_tables_and_goes_down_and_up(store: SqlStore) -> None:
    engine = store.engines.write
    assert current(engine) == SCHEMA_HEAD
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    indexes = {i["name"] for i in inspect(engine).get_indexes("jobs")}
    assert {"ix_jobs_due", "ix_jobs_lease", "ix_jobs_dead", "ix_jobs_done"} <= indexes
    downgrade(engine, "0003")
    assert "jobs" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current(engine) == SCHEMA_HEAD and count(store, jobs) == 0


def test_a_worker_s_sqlite_page_cache_is_capped_small(tmp_path: Path) -> None:
    """``rostra worker`` opens its engines with a small page cache (``WORKER_CACHE_KIB``): the
    cache fills with every page read up to its cap, so a big one grew the worker's RSS with the
    jobs table (bench/README.md, "Background jobs")."""
    engines = create_engines(f"sqlite:///{tmp_path / 'w.db'}", sqlite_cache_kib=WORKER_CACHE_KIB)
    server = create_engines(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        for eng, kib in (
            (engines.read, WORKER_CACHE_KIB),
            (engines.write, WORKER_CACHE_KIB),
            (server.read, SQLITE_CACHE_KIB),
        ):
            with eng.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -kib
    finally:
        engines.dispose()
        server.dispose()
    assert WORKER_CACHE_KIB < SQLITE_CACHE_KIB
