"""``rostra serve``'s own runner delivers webhooks: a comment posted through the API, on the app
as uvicorn serves it, reaches a real receiver signed with the endpoint's secret, and its job is
done (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rostra.domain.webhooks import Actor, sign
from rostra.services.webhooks import DELIVER_JOB, Webhooks
from rostra.storage.tables import jobs
from rostra.storage.webhooks import SqlWebhookStore
from tests.conftest import LiveServer
from tests.helpers import posted
from tests.process.servers import wait_until
from tests.webhooks.receiver import receiving

ACTOR = Actor(None, "tester (command line)")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The receiver is on loopback.
    return {"jobs_poll_ms": 50, "webhook_allow_private_addresses": True}


def states(server: LiveServer) -> list[str]:
    with server.store.engines.read.connect() as conn:
        rows = conn.execute(select(jobs.c.state).where(jobs.c.kind == DELIVER_JOB))
        return [r.state for r in rows]


def test_a_comment_posted_through_the_api_reaches_the_receiver(
    server: LiveServer, http: httpx.Client
) -> None:
    site = server.store.get_site("demo")
    assert site is not None
    hooks = Webhooks(SqlWebhookStore(server.store.engines), allow_private=True)
    with receiving() as receiver:
        endpoint = hooks.add(site, receiver.url, ["comment.published"], ACTOR)
        public_id, _ = posted(http, "Straight from the API.")
        with receiver.got:
            assert receiver.got.wait_for(lambda: receiver.received, 30), "nothing arrived"
        wait_until(lambda: states(server) == ["done"], 30, "the delivery job done")
    [got] = receiver.received
    stamp = got.headers["Rostra-Webhook-Timestamp"]
    assert got.headers["Rostra-Webhook-Signature"] == sign(endpoint.secret, stamp, got.body)
    event = json.loads(got.body)
    assert event["type"] == "comment.published" and event["data"]["comment"]["id"] == public_id
    assert event["data"]["comment"]["body"] == "Straight from the API."
