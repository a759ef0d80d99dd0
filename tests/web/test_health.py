"""``/healthz`` says ok only when the database answers with the schema this code needs; otherwise
503 with a short plain-text reason, so a load balancer stops sending readers to a broken server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import create_engine, text

from rostra.app import create_app
from rostra.config import load_settings
from tests.conftest import SECRET, LiveServer, serve_app


def set_revision(db_url: str, revision: str) -> str:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        before = str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()
    return before


def test_health_follows_the_schema(server: LiveServer, db_url: str) -> None:
    with server.client() as client:
        ok = client.get("/healthz")
        assert (ok.status_code, ok.text) == (200, "ok")
        assert ok.headers["cache-control"] == "no-store"
        before = set_revision(db_url, "0002")
        try:
            stale = client.get("/healthz")
            assert stale.status_code == 503
            assert stale.headers["content-type"].startswith("text/plain")
            assert stale.text == "database schema not current: run rostra migrate"
        finally:
            set_revision(db_url, before)
        assert client.get("/healthz").status_code == 200


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def _serve(url: str) -> Iterator[str]:
    settings = load_settings(env={}, database_url=url, secret_key=SECRET)
    srv, thread, base = serve_app(create_app(settings))
    try:
        yield base
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_health_says_when_the_database_is_unreachable() -> None:
    url = f"postgresql://nobody:hunter2@127.0.0.1:{_closed_port()}/rostra"
    with _serve(url) as base:
        answer = httpx.get(f"{base}/healthz", timeout=10)
        assert (answer.status_code, answer.text) == (503, "database unreachable")
