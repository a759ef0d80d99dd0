"""Fixtures for process-level tests: a deployment of each kind (a SQLite file, a PostgreSQL
database of its own), brought up by ``rostra migrate`` and given a site by ``rostra site add``,
and the ``rostra serve --workers 2`` running on it.

Starting the server is what these tests pay for (two workers importing Rostra; the site has
moderation off, so they do not load the models, docs in ``PipelineModerator.warm_up``). So a
deployment lasts the module, its tests share the running server (each writes threads of its
own), and a test that kills the server leaves the next one to start a fresh process tree on the
same database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from tests.conftest import DATABASES, HOST_ORIGIN, new_pg_database
from tests.process.servers import RostraCommand, Served, rostra_on

SITE = "proc"
# Published at once (201), so every acknowledged comment must be in the thread.
SITE_SETTINGS = {"moderation": {"enabled": False}}
WORKERS = 2


@dataclass
class Deployment:
    """One database with the site, and the server on it (started when first asked for)."""

    kind: str  # sqlite | postgresql
    command: RostraCommand
    running: Served | None = None

    def server(self) -> Served:
        """The running server, or a new one when there is none (or it died)."""
        if self.running is None or self.running.process.poll() is not None:
            self.running = self.command.serve(workers=WORKERS)
        return self.running

    def kill(self) -> None:
        """SIGKILL the running server: its parent and every worker."""
        assert self.running is not None
        served, self.running = self.running, None
        self.command.kill(served)


@pytest.fixture(scope="module", params=DATABASES)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp(f"rostra-{request.param}")
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{workdir / 'rostra.db'}"
        else:
            url = stack.enter_context(new_pg_database("rostra_proc"))
        # Entered after the database, so its servers stop before a PostgreSQL one is dropped.
        command = stack.enter_context(rostra_on(url, workdir))
        command.run("migrate")
        settings = json.dumps(SITE_SETTINGS)
        command.run("site", "add", SITE, "--origin", HOST_ORIGIN, "--settings", settings)
        yield Deployment(request.param, command)
