"""Bring a database to the newest schema with Alembic (SQLite and PostgreSQL alike), and say
what is wrong with one that is not there (whether it is: rostra.storage.schema)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


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


def describe(revision: str | None) -> str:
    """What is wrong with a database whose schema is at ``revision`` (not the head), and the fix."""
    wanted = head()
    if revision is None:
        return "the database has no Rostra schema yet: run `rostra migrate`"
    if revision not in {script.revision for script in _scripts().walk_revisions()}:
        return (
            f"the database schema ({revision}) is newer than this Rostra knows ({wanted}): "
            "upgrade Rostra, or point it at the right database"
        )
    return (
        f"the database schema ({revision}) is older than this Rostra needs ({wanted}): "
        "run `rostra migrate`"
    )
