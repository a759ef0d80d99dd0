"""Bring a database to the newest schema with Alembic (SQLite and PostgreSQL alike), and tell
whether a database is ready for this version of Rostra before anything relies on it."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from rostra.storage.database import (
    DatabaseError,
    DatabaseUnreachable,
    check_url,
    create_engines,
    where,
)

MIGRATIONS = Path(__file__).with_name("migrations")
_LOG = logging.getLogger("rostra.storage")


class SchemaNotCurrent(DatabaseError):
    """The database's schema is missing, older or newer than the one this code expects."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` in one transaction per run."""
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    # Read once per process: the migration files do not change while Rostra runs.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head() -> str:
    """The schema revision this code needs."""
    found = _scripts().get_current_head()
    assert found is not None  # there is always at least one migration
    return found


def unreachable(engine: Engine, exc: BaseException) -> DatabaseUnreachable:
    """A one-line error for a database that does not answer (the driver's first line says why)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = reason[0] if reason else type(exc).__name__
    return DatabaseUnreachable(f"cannot use the database at {where(engine.url)}: {first}")


def schema_problem(engine: Engine) -> str | None:
    """Why this database is not ready for this code (with the fix), or ``None`` when it is.

    One indexed read of Alembic's version table, cheap enough for a health check that is polled.
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
            # No version table: nothing was ever migrated here.
            _LOG.debug("no schema version: %s", exc)
            revision = None
    wanted = head()
    if revision == wanted:
        return None
    if revision is None:
        return "the database has no Rostra schema yet: run `rostra migrate`"
    if str(revision) not in {script.revision for script in _scripts().walk_revisions()}:
        return (
            f"the database schema ({revision}) is newer than this Rostra knows ({wanted}): "
            "upgrade Rostra, or point it at the right database"
        )
    return (
        f"the database schema ({revision}) is older than this Rostra needs ({wanted}): "
        "run `rostra migrate`"
    )


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


def require_current(engine: Engine) -> None:
    """Raise :class:`SchemaNotCurrent` (or :class:`DatabaseUnreachable`) unless ready."""
    problem = schema_problem(engine)
    if problem is not None:
        raise SchemaNotCurrent(problem)


class HealthCheck:
    """``/healthz``'s question, asked of the read engine: ``None`` when healthy, else a reason.

    The reasons are short and fixed: the check answers anyone, so it names no host or error text
    (those go to the log).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self) -> str | None:
        try:
            problem = schema_problem(self._engine)
        except DatabaseUnreachable as exc:
            _LOG.warning("health check: %s", exc)
            return "database unreachable"
        if problem is not None:
            _LOG.warning("health check: %s", problem)
            return "database schema not current: run rostra migrate"
        return None
