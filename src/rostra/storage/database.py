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

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

#: What ``database_url`` may be, as every message about a bad one says.
SUPPORTED_URLS = "sqlite:///PATH (three slashes, then the file) or postgresql://USER@HOST/DB"


class DatabaseError(Exception):
    """The database cannot be used as configured; the message says why and what to do."""


class DatabaseUnreachable(DatabaseError):
    """The database server does not answer, or refuses us."""


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

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction, holding the right to write for its length (see ``writing``)."""
        with self.writing(), self.write.begin() as conn:
            yield conn


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


def check_url(url: str) -> URL:
    """``url`` parsed, or :class:`DatabaseError` naming it and the URLs Rostra supports.

    SQLAlchemy's own errors for a bare path or another database ("Could not parse SQLAlchemy URL",
    "Can't load plugin: sqlalchemy.dialects:mysql") do not say what would work.
    """
    normalised = normalise_url(url.strip())
    if "://" not in normalised:
        raise DatabaseError(f"database URL {url!r} is not a URL: use {SUPPORTED_URLS}")
    try:
        parsed = make_url(normalised)
    except ArgumentError:
        raise DatabaseError(f"database URL {url!r} is malformed: use {SUPPORTED_URLS}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if (backend, driver) not in (("sqlite", "pysqlite"), ("postgresql", "psycopg")):
        scheme = normalised.split("://", 1)[0]
        raise DatabaseError(
            f"database URL scheme {scheme!r} is not supported: use {SUPPORTED_URLS}"
        )
    if backend == "sqlite" and not parsed.database:
        raise DatabaseError(f"database URL {url!r} names no file: use {SUPPORTED_URLS}")
    return parsed


def driver_reason(exc: BaseException) -> str:
    """The first line of what the database driver said (SQLAlchemy wraps it with the SQL)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return reason[0] if reason else type(exc).__name__


def where(url: URL) -> str:
    """The database a URL points to, for messages: never its password."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


#: SQLite's page cache per connection, in KiB: what the server's reads keep hot.
SQLITE_CACHE_KIB = 32_000


def create_engines(
    url: str, *, pool_size: int = 8, sqlite_cache_kib: int = SQLITE_CACHE_KIB
) -> Engines:
    """``sqlite_cache_kib`` caps each SQLite connection's page cache; the cache fills with every
    page a connection reads until it reaches the cap (a job worker passes a small one: it reads
    each job once, and a big cache would only grow its RSS with the table)."""
    parsed = check_url(url)
    url = normalise_url(url.strip())
    if parsed.get_backend_name() == "sqlite":
        lock = None
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = WriterLock(path.with_name(path.name + ".writer-lock"))
        read = _sqlite_engine(url, immediate=False, cache_kib=sqlite_cache_kib)
        write = _sqlite_engine(url, immediate=True, cache_kib=sqlite_cache_kib)
        return Engines(read=read, write=write, is_sqlite=True, writer_lock=lock)
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, future=True
    )
    return Engines(read=engine, write=engine, is_sqlite=False)


def _sqlite_engine(url: str, *, immediate: bool, cache_kib: int) -> Engine:
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
        cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def upsert(conn: Connection | str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` into ``table`` in the connection's dialect (or the dialect named), so it
    takes ``ON CONFLICT`` (``on_conflict_do_nothing`` / ``on_conflict_do_update``): both
    databases have it, with the same spelling, but SQLAlchemy keeps it in each dialect's own
    ``insert``."""
    dialect = conn if isinstance(conn, str) else conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
