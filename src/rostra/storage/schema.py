"""Is this database ready for this version of Rostra? Asked before anything relies on it.

The answer needs one read of Alembic's version table and a comparison with ``SCHEMA_HEAD``,
so it is asked without importing Alembic: every server worker asks it (``/healthz``) and
Alembic would cost each of them about 11 MB. Only when the answer is no does
:mod:`rostra.storage.migrate` (and Alembic) say whether the schema is older or newer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from rostra.storage.database import (
    DatabaseError,
    DatabaseUnreachable,
    check_url,
    create_engines,
    driver_reason,
    where,
)

#: The newest migration's revision; tests/storage/test_schema.py keeps it equal to Alembic's.
SCHEMA_HEAD = "0013"
_LOG = logging.getLogger("rostra.storage")


class SchemaNotCurrent(DatabaseError):
    """The database's schema is missing, older or newer than the one this code expects."""


def unreachable(engine: Engine, exc: BaseException) -> DatabaseUnreachable:
    """A one-line error for a database that does not answer (the driver's first line says why)."""
    reason = driver_reason(exc)
    return DatabaseUnreachable(f"cannot use the database at {where(engine.url)}: {reason}")


def stored_revision(engine: Engine) -> str | None:
    """The schema revision the database records, ``None`` when it was never migrated.

    Raises :class:`DatabaseUnreachable` when the database cannot be reached at all.
    """
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        raise unreachable(engine, exc) from exc
    with conn:
        try:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise unreachable(engine, exc) from exc
            _LOG.debug("no schema version: %s", exc)  # no version table: never migrated
            return None
    return None if revision is None else str(revision)


def schema_problem(engine: Engine) -> str | None:
    """Why this database is not ready for this code (with the fix), or ``None`` when it is."""
    revision = stored_revision(engine)
    if revision == SCHEMA_HEAD:
        return None
    from rostra.storage.migrate import describe

    return describe(revision)


def require_current(engine: Engine) -> None:
    """Raise :class:`SchemaNotCurrent` (or :class:`DatabaseUnreachable`) unless ready."""
    problem = schema_problem(engine)
    if problem is not None:
        raise SchemaNotCurrent(problem)


def preflight(url: str, *, migrating: bool = False) -> None:
    """Before a command uses the database: the URL is supported, the server answers, and (unless
    the command is the one that migrates) the schema is the one this code needs.

    Each failure is a :class:`DatabaseError` whose one-line message says what to do.
    """
    parsed = check_url(url)
    database = parsed.database or ""
    sqlite_file = parsed.get_backend_name() == "sqlite" and database != ":memory:"
    # Opening a missing file would create an empty database (and its directory) by mistake.
    if sqlite_file and not migrating and not Path(database).is_file():
        raise SchemaNotCurrent(
            f"the database {database} does not exist: run `rostra migrate` to create it"
        )
    engines = create_engines(url)
    try:
        if migrating:
            try:
                with engines.write.connect():
                    pass
            except SQLAlchemyError as exc:
                raise unreachable(engines.write, exc) from exc
        else:
            require_current(engines.read)
    finally:
        engines.dispose()


class HealthCheck:
    """``/healthz``'s question, asked of the read engine: ``None`` when healthy, else a reason.

    The reasons are short and fixed: the check answers anyone, so it names no host or error text
    (those go to the log).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self) -> str | None:
        try:
            revision = stored_revision(self._engine)
        except DatabaseUnreachable as exc:
            _LOG.warning("health check: %s", exc)
            return "database unreachable"
        if revision != SCHEMA_HEAD:
            _LOG.warning("health check: schema %s, this code needs %s", revision, SCHEMA_HEAD)
            return "database schema not current: run rostra migrate"
        return None
