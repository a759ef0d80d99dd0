"""Claims on PostgreSQL: a claim skips the rows another worker is claiming, without waiting for
it (``FOR UPDATE SKIP LOCKED``), and threads claiming at once never share a job."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from rostra.jobs.queue import Claim, Job
from rostra.services.ports import NewJob
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.repository import SqlStore
from rostra.storage.tables import jobs

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def pg_store(store: SqlStore) -> SqlStore:
    if store.engines.is_sqlite:
        pytest.skip("SQLite claims one at a time under its writer lock (docs/adr/0003)")
    return store


def enqueue(store: SqlStore, n: int) -> None:
    with store.write() as tx:
        for i in range(n):
            tx.enqueue(NewJob("test.record", {"n": i}, f"job:{i}"), NOW)


def test_a_claim_skips_rows_another_claim_holds_without_waiting(pg_store: SqlStore) -> None:
    enqueue(pg_store, 10)
    queue = SqlJobQueue(pg_store.engines)
    with pg_store.engines.write.connect() as other:
        # Another worker is in the middle of its claim: it has locked the five oldest rows.
        tx = other.begin()
        locked = list(
            other.execute(
                select(jobs.c.id).order_by(jobs.c.run_after, jobs.c.id).limit(5).with_for_update()
            ).scalars()
        )
        got: list[Job] = []
        claiming = threading.Thread(
            target=lambda: got.extend(queue.claim(Claim("B", NOW, 10, 60, 5)))
        )
        claiming.start()
        claiming.join(timeout=20)
        waited = claiming.is_alive()
        tx.rollback()
        claiming.join(timeout=20)
    assert not waited, "the claim waited for the other worker's locks"
    assert len(got) == 5 and not {job.id for job in got} & set(locked)


def test_threads_claiming_at_once_never_share_a_job(pg_store: SqlStore) -> None:
    enqueue(pg_store, 400)
    queue = SqlJobQueue(pg_store.engines)
    claimed: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(4)

    def work(name: str) -> None:
        start.wait()
        while batch := queue.claim(Claim(name, NOW, 7, 60, 5)):
            for job in batch:
                assert queue.complete(job, name, NOW)
            with lock:
                claimed.update(job.id for job in batch)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(claimed) == 400 and set(claimed.values()) == {1}
