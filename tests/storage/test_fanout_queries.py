"""The fan-out's reads stay small in a long thread: the author's addresses in a thread are read
through the index on (reader_key, thread_id), never by scanning the thread's comments.

SQLite's planner has no statistics here (nobody runs ANALYZE), so the index it takes is a
property of the schema and the query, which is what this pins; PostgreSQL plans by statistics
and is left to them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from rostra.storage.fanout import author_hashes_query


def test_the_authors_addresses_in_a_thread_are_read_by_reader_and_thread(
    sqlite_template: Path,
) -> None:
    engine = create_engine(f"sqlite:///{sqlite_template}")
    query = author_hashes_query(42, "reader-key").compile(
        engine, compile_kwargs={"literal_binds": True}
    )
    with engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {query}")))
    engine.dispose()
    assert "USING INDEX ix_comments_reader_thread (reader_key=? AND thread_id=?)" in plan, plan
