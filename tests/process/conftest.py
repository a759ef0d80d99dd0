"""Fixtures for process-level tests: an empty database of each kind (a SQLite file in the test's
directory, a PostgreSQL database of its own), brought up by ``rostra migrate`` and given a site by
``rostra site add``, and the ``rostra`` command on it, whose servers stop when the test ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DATABASES, HOST_ORIGIN, new_pg_database
from tests.process.servers import RostraCommand, rostra_on

SITE = "proc"
# Published at once (201), so every acknowledged comment must be in the thread.
SITE_SETTINGS = {"moderation": {"enabled": False}}


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: nothing migrated, no site (``rostra`` does that)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rostra.db'}"
        return
    with new_pg_database("rostra_proc") as url:
        yield url


@pytest.fixture
def rostra(database: str, tmp_path: Path) -> Iterator[RostraCommand]:
    """``rostra`` on ``database`` after ``migrate`` and ``site add proc`` (unmoderated)."""
    with rostra_on(database, tmp_path) as command:
        command.run("migrate")
        settings = json.dumps(SITE_SETTINGS)
        command.run("site", "add", SITE, "--origin", HOST_ORIGIN, "--settings", settings)
        yield command
