"""Engines for SQLite (WAL, one writer at a time) and PostgreSQL, from one database URL."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


@dataclass(frozen=True, slots=True)
class Engines:
    """A read engine and a write engine over the same database.

    On SQLite the write engine starts transactions with ``BEGIN IMMEDIATE``: the writer takes the
    lock up front instead of upgrading later, which is what avoids "database is locked" deadlocks
    between worker processes. On PostgreSQL both are the same engine.
    """

    read: Engine
    write: Engine
    is_sqlite: bool
    writer_lock: WriterLock | None = field(default=None)

    def dispose(self) -> None:
        self.read.dispose()
        if self.write is not self.read:
            self.write.dispose()
        if self.writer_lock is not None:
            self.writer_lock.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the right to write; a no-op on PostgreSQL, which has row locks."""
        if self.writer_lock is None:
            yield
            return
        with self.writer_lock:
            yield


class WriterLock:
    """One SQLite writer at a time across threads and processes, queued by the kernel.

    SQLite's own busy handler polls with growing sleeps (up to 100 ms), which turns a brief
    contention between worker processes into long tail latencies. An advisory ``flock`` on a file
    beside the database wakes the next writer the moment the previous one commits.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._thread_lock = threading.Lock()

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        os.close(self._fd)


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def create_engines(url: str, *, pool_size: int = 8) -> Engines:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        lock = None
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = WriterLock(path.with_name(path.name + ".writer-lock"))
        read = _sqlite_engine(url, immediate=False)
        write = _sqlite_engine(url, immediate=True)
        return Engines(read=read, write=write, is_sqlite=True, writer_lock=lock)
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, future=True
    )
    return Engines(read=engine, write=engine, is_sqlite=False)


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 10},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA cache_size=-32000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
