"""``/healthz`` says ok only when the database answers with the schema this code needs; otherwise
503 with a short plain-text reason, so a load balancer stops sending readers to a broken server."""

from __future__ import annotations

import httpx
import pytest

from rostra.app import create_app
from rostra.config import load_settings
from tests.conftest import IN_PROCESS_URL, SECRET, LiveServer
from tests.helpers import closed_port, schema_at
from tests.in_process import InProcess

pytestmark = pytest.mark.in_process


def test_health_follows_the_schema(server: LiveServer, db_url: str) -> None:
    with server.client() as client:
        ok = client.get("/healthz")
        assert (ok.status_code, ok.text) == (200, "ok")
        assert ok.headers["cache-control"] == "no-store"
        with schema_at(db_url, "0002"):
            stale = client.get("/healthz")
            assert stale.status_code == 503
            assert stale.headers["content-type"].startswith("text/plain")
            assert stale.text == "database schema not current: run rostra migrate"
        assert client.get("/healthz").status_code == 200


def test_health_says_when_the_database_is_unreachable() -> None:
    url = f"postgresql://nobody:hunter2@127.0.0.1:{closed_port()}/rostra"
    settings = load_settings(env={}, database_url=url, secret_key=SECRET)
    with (
        InProcess(create_app(settings)) as served,
        httpx.Client(base_url=IN_PROCESS_URL, transport=served.transport) as client,
    ):
        answer = client.get("/healthz")
    assert (answer.status_code, answer.text) == (503, "database unreachable")
