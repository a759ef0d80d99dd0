"""Shared fixtures: a fresh database per test (SQLite file and real PostgreSQL), a real server
on a kernel-assigned port, and helpers to talk to it over HTTP.

Every test that takes ``db_url`` (directly or through ``server``) runs once on SQLite and once on
PostgreSQL. Set ``ROSTRA_TEST_DATABASES=sqlite`` to skip PostgreSQL locally.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from rostra.app import create_app
from rostra.config import Settings, load_settings
from rostra.storage.database import create_engines
from rostra.storage.migrate import upgrade
from rostra.storage.repository import SqlStore
from rostra.storage.tables import metadata

PG_ADMIN_URL = os.environ.get("ROSTRA_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")
DATABASES = [
    d for d in os.environ.get("ROSTRA_TEST_DATABASES", "sqlite,postgresql").split(",") if d
]
SECRET = "test-secret-key-that-is-long-enough-0123456789"
HOST_ORIGIN = "http://127.0.0.1:9"  # an allowed origin no server listens on


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engines = create_engines(f"sqlite:///{path}")
    upgrade(engines.write)
    engines.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    name = f"rostra_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engines = create_engines(url)
    upgrade(engines.write)
    engines.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "rostra.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    store_ = SqlStore(create_engines(db_url))
    yield store_
    store_.close()


@dataclass
class LiveServer:
    """A Rostra app served by uvicorn on 127.0.0.1 and a kernel-assigned port."""

    url: str
    app: Any
    store: SqlStore

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)


def serve_app(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # As `rostra serve` runs it: Rostra alone decides which proxy headers to believe.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    # Wait on the condition (the server says it started), never on a fixed sleep.
    started = threading.Event()

    def _wait() -> None:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.01)
        started.set()

    _wait()
    if not server.started:
        raise RuntimeError("the test server did not start")
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change server settings."""
    return {}


@pytest.fixture
def app_factory() -> Callable[[Settings], Any]:
    """Override in a test module to serve another app (the demo's: rostra.demo.app)."""
    return create_app


@pytest.fixture
def server(
    db_url: str,
    store: SqlStore,
    settings_overrides: dict[str, Any],
    app_factory: Callable[[Settings], Any],
) -> Iterator[LiveServer]:
    store.create_site("demo", "Demo", [HOST_ORIGIN], {})
    settings = load_settings(env={}, database_url=db_url, secret_key=SECRET, **settings_overrides)
    app = app_factory(settings)
    srv, thread, url = serve_app(app)
    yield LiveServer(url=url, app=app, store=store)
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(headers={"Origin": HOST_ORIGIN}) as client:
        yield client
