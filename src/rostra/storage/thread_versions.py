"""Fast answers to "has this thread changed?", the question every cached read asks.

On SQLite a dedicated read-only connection asks ``PRAGMA data_version``, which changes whenever
any other connection (in any process) commits. While it is unchanged, every thread version read
earlier is still right, so a cached read costs a few microseconds and no query. When it changes,
versions are read again, one indexed row each. On PostgreSQL the version row is read each time.
"""

from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from rostra.storage.tables import threads

_VERSION_SQL = "SELECT version FROM threads WHERE site_id = ? AND external_id = ?"


class SqliteVersionProbe:
    """Thread versions memoised until the database's ``data_version`` moves."""

    def __init__(self, path: str, max_entries: int = 10_000) -> None:
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._lock = threading.Lock()
        self._seen: int | None = None
        self._versions: dict[tuple[int, str], int | None] = {}
        self._max = max_entries

    def stamp(self) -> int:
        """A number that changes whenever anything in the database changed."""
        with self._lock:
            return self._refresh()

    def _refresh(self) -> int:
        data_version: int = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if data_version != self._seen:
            self._versions.clear()
            self._seen = data_version
        return data_version

    def version(self, site_id: int, external_id: str) -> int | None:
        key = (site_id, external_id)
        with self._lock:
            self._refresh()  # forgets every memo when anything was written
            if key in self._versions:
                return self._versions[key]
            row = self._conn.execute(_VERSION_SQL, key).fetchone()
            value = int(row[0]) if row else None
            if len(self._versions) >= self._max:
                self._versions.clear()
            self._versions[key] = value
            return value

    def close(self) -> None:
        self._conn.close()


class QueryVersionProbe:
    """Reads the version row each time (PostgreSQL, or SQLite in memory)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def stamp(self) -> None:
        """No cheap database-wide change counter here: callers must not cache."""
        return None

    def version(self, site_id: int, external_id: str) -> int | None:
        query = select(threads.c.version).where(
            threads.c.site_id == site_id, threads.c.external_id == external_id
        )
        with self._engine.connect() as conn:
            value = conn.execute(query).scalar()
        return int(value) if value is not None else None

    def close(self) -> None:
        pass


def version_probe(engine: Engine) -> SqliteVersionProbe | QueryVersionProbe:
    url = make_url(engine.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteVersionProbe(url.database)
    return QueryVersionProbe(engine)
