"""Two first comments on a new article at once both get the same thread, on PostgreSQL.

PostgreSQL lets both write transactions see no thread and both insert it; the second must wait
for the first and then use the thread it committed, not fail with a write conflict (409) that
loses a reader's first comment. SQLite has one writer at a time (ADR 0003), so the race cannot
happen there; the sequential case is checked on both.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from rostra.domain.models import Thread
from rostra.storage.repository import SqlStore, SqlWriteTransaction
from rostra.storage.tables import threads

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _site_id(store: SqlStore) -> int:
    site = store.create_site("race", "Race", ["https://news.example"], {})
    return site.id


def test_second_creation_reads_the_first(store: SqlStore) -> None:
    site_id = _site_id(store)
    made: list[Thread | None] = []
    for _ in range(2):
        with store.engines.write.begin() as conn:
            made.append(
                SqlWriteTransaction(conn).get_or_create_thread(
                    site_id, "article-1", "https://news.example/a", "A", NOW, create=True
                )
            )
    assert made[0] is not None and made[1] is not None
    assert made[0].id == made[1].id


def test_concurrent_creations_share_one_thread(store: SqlStore, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: the writers cannot overlap")
    site_id = _site_id(store)
    first = store.engines.write.connect()
    tx = first.begin()
    mine = SqlWriteTransaction(first).get_or_create_thread(
        site_id, "article-2", "https://news.example/b", "B", NOW, create=True
    )
    assert mine is not None
    second_pid: list[int] = []
    outcome: list[Thread | BaseException | None] = []

    def second_writer() -> None:
        try:
            with store.engines.write.begin() as conn:
                second_pid.append(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
                outcome.append(
                    SqlWriteTransaction(conn).get_or_create_thread(
                        site_id, "article-2", "https://news.example/b", "B", NOW, create=True
                    )
                )
        except BaseException as exc:  # reported to the test below
            outcome.append(exc)

    worker = threading.Thread(target=second_writer)
    worker.start()
    # Wait until the second writer is blocked on the first one's uncommitted row.
    with store.engines.read.connect() as probe:
        for _ in range(3000):  # 30 s at most, in case it never blocks nor ends
            waiting = probe.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": second_pid[0] if second_pid else -1},
            ).scalar()
            probe.rollback()
            if waiting == "Lock" or outcome:
                break
            threading.Event().wait(0.01)
    assert not outcome, f"the second writer did not wait for the first: {outcome}"
    assert waiting == "Lock", "the second writer never waited on the first"
    tx.commit()
    first.close()
    worker.join(timeout=10)
    assert len(outcome) == 1
    got = outcome[0]
    assert isinstance(got, Thread), got
    assert got.id == mine.id
    with store.engines.read.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(threads).where(threads.c.external_id == "article-2")
        ).scalar_one()
    assert count == 1
