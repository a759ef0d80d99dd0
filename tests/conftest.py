"""Shared fixtures: a fresh database per test (SQLite file and real PostgreSQL), the app served
(by uvicorn on a kernel-assigned port, or in this process: see ``server``), and clients for it.

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
from contextlib import contextmanager
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
from tests.in_process import InProcess

PG_ADMIN_URL = os.environ.get("ROSTRA_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")
DATABASES = [
    d for d in os.environ.get("ROSTRA_TEST_DATABASES", "sqlite,postgresql").split(",") if d
]
SECRET = "test-secret-key-that-is-long-enough-0123456789"
HOST_ORIGIN = "http://127.0.0.1:9"  # an allowed origin no server listens on
# The address of an app served in process: a name the edge answers to in development, no port.
IN_PROCESS_URL = "http://127.0.0.1"
IN_PROCESS = "in_process"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{IN_PROCESS}: serve the app in this process, not over a socket (see the server fixture)",
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engines = create_engines(f"sqlite:///{path}")
    upgrade(engines.write)
    engines.dispose()
    return path


# Databases ``new_pg_database`` made in this worker and a test has finished with: emptied, kept
# for the next test that asks for one, dropped when the session ends. A DROP DATABASE makes
# PostgreSQL write a checkpoint, which under the other worker's writes took 2-20 s (0.2 s on an
# idle server) and made each test with a database of its own one of the slowest; emptying the
# schema costs a few milliseconds.
_SPARE_DATABASES: list[str] = []


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@contextmanager
def new_pg_database(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database for one test (named ``prefix`` and a random tail when made
    for it; another test's, emptied, when one is spare)."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        if _SPARE_DATABASES:
            name = _SPARE_DATABASES.pop()
        else:
            name = f"{prefix}_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield _pg_url(name)
        except BaseException:  # a failed test's database may be in any state: not reused
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            raise
        with admin.connect() as conn:  # what the test's servers and pools left connected
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        emptied = create_engine(_pg_url(name), isolation_level="AUTOCOMMIT")
        try:
            with emptied.connect() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            emptied.dispose()
        _SPARE_DATABASES.append(name)
    finally:
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _drop_spare_databases() -> Iterator[None]:
    yield
    if not _SPARE_DATABASES:
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            while _SPARE_DATABASES:
                name = _SPARE_DATABASES.pop()
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    with new_pg_database(f"rostra_test_{os.getpid()}") as url:
        engines = create_engines(url)
        upgrade(engines.write)
        engines.dispose()
        yield url


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh database of each kind in ``DATABASES``: a copy of the migrated SQLite template, or
    the worker's PostgreSQL database emptied (tests/browser narrows this to one kind)."""
    return fresh_database(request.param, request, tmp_path, sqlite_template)


def fresh_database(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> str:
    if kind == "sqlite":
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
    """A Rostra app being served: by uvicorn on 127.0.0.1 and a kernel-assigned port, or, with a
    ``transport``, in this process (``tests/in_process.py``) at ``IN_PROCESS_URL``.

    ``app`` is the app object itself (``app.app`` is its fast path, ``app.app.ctx`` what it
    shares); ``store`` reads and writes the same database.
    """

    url: str
    app: Any
    store: SqlStore
    transport: httpx.BaseTransport | None = None

    def client(self, **kwargs: Any) -> httpx.Client:
        """A new client of this server; the same arguments as ``httpx.Client``."""
        return httpx.Client(base_url=self.url, timeout=10, transport=self.transport, **kwargs)


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
    request: pytest.FixtureRequest,
    db_url: str,
    store: SqlStore,
    settings_overrides: dict[str, Any],
    app_factory: Callable[[Settings], Any],
) -> Iterator[LiveServer]:
    """The app (``app_factory``'s, with ``settings_overrides``) and a site "demo" that lets
    ``HOST_ORIGIN`` embed it.

    Served in this process (``tests/in_process.py``) for tests marked
    ``@pytest.mark.in_process`` (a whole module: ``pytestmark = pytest.mark.in_process``):
    requests go straight to the app, from 127.0.0.1, at ``IN_PROCESS_URL``; an error in the app
    fails the test. That is for what the app itself answers: the API, pages, feeds, the desk,
    the edge's Host check, limits per client address, caches. Most of tests/web is marked.

    Unmarked, uvicorn serves it on 127.0.0.1 and a kernel-assigned port, as ``rostra serve``
    runs it. Real HTTP is for:
    - a real browser (tests/browser), or a client that is not httpx (the OpenAPI fuzz test's,
      which also keeps under uvicorn's limit on a request head);
    - what uvicorn decides before Rostra does: ``X-Forwarded-*`` headers (uvicorn believes them
      from 127.0.0.1 unless told not to, as ``rostra serve`` tells it; the trusted-proxy tests in
      tests/web/test_edge_security.py, tests/web/test_new_reader_limit.py and
      tests/web/test_proxy_address_limits.py check the pair);
    - bytes on a socket: slow or cut-off bodies, raw HTTP, connections held open;
    - more than one process, or a process killed mid-request;
    - and every test not marked, which runs as it always did (tests/moderation, tests/storage,
      and the web modules their owners have not marked).
    """
    store.create_site("demo", "Demo", [HOST_ORIGIN], {})
    settings = load_settings(env={}, database_url=db_url, secret_key=SECRET, **settings_overrides)
    app = app_factory(settings)
    if request.node.get_closest_marker(IN_PROCESS):
        with InProcess(app) as served:
            yield LiveServer(IN_PROCESS_URL, app, store, transport=served.transport)
        return
    srv, thread, url = serve_app(app)
    yield LiveServer(url=url, app=app, store=store)
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    """A client of ``server`` that sends what the embed on ``HOST_ORIGIN``'s pages sends."""
    with server.client(headers={"Origin": HOST_ORIGIN}) as client:
        yield client
