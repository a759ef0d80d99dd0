"""The desk's webhooks page (SQLite and PostgreSQL): an admin adds an endpoint and sees its
secret once, sends a test event a real receiver gets signed with it, reads the delivery log,
disables, enables and deletes; an endpoint Rostra disabled after failures is announced; bad
URLs are a readable 422 page; moderators get 403 pages, and forms without the session's CSRF
token or from another origin change nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rostra.domain.desk import Role
from rostra.domain.webhooks import sign
from rostra.jobs.registry import JobHandlers
from rostra.jobs.runner import Runner
from rostra.services.webhooks import DELIVER_JOB
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.tables import jobs, webhook_endpoints
from rostra.storage.webhooks import SqlWebhookStore
from rostra.webhooks.delivery import Deliverer, DeliverySettings
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import PASSWORD, QUIET, desk_client, sign_in, staff_accounts
from tests.webhooks.receiver import receiving

pytestmark = pytest.mark.in_process


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The receivers are on loopback; the test runs the deliveries itself.
    return {"jobs_in_process": False, "webhook_allow_private_addresses": True}


@pytest.fixture
def newsroom(server: LiveServer) -> Any:
    store = server.store
    site = store.create_site("mine", "Mine", [HOST_ORIGIN], QUIET)
    accounts = staff_accounts(store)
    accounts.create("boss", PASSWORD, Role.ADMIN, [], "Chief Editor")
    accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id], "Moderator Mo")
    return site


@pytest.fixture
def browser_like(server: LiveServer) -> Iterator[httpx.Client]:
    with desk_client(server) as client:
        yield client


def endpoints(server: LiveServer) -> list[Any]:
    with server.store.engines.read.connect() as conn:
        return list(conn.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.id)))


def deliver_all(server: LiveServer) -> int:
    handlers = JobHandlers()
    store = server.store
    deliverer = Deliverer(
        SqlWebhookStore(store.engines), store, DeliverySettings(allow_private=True)
    )
    handlers.register(DELIVER_JOB, deliverer)
    return Runner(SqlJobQueue(store.engines), handlers).run_batch()


def add(client: httpx.Client, csrf: str | None, url: str, *events: str) -> httpx.Response:
    data: dict[str, Any] = {"url": url, "events": list(events)}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post("/moderation/mine/webhooks", data=data)


def test_an_admin_adds_an_endpoint_tests_it_and_reads_the_log(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss", csrf_from="/moderation/mine/webhooks")
    with receiving() as receiver:
        answer = add(browser_like, csrf, receiver.url, "comment.published", "comment.held")
        assert answer.status_code == 200, answer.text
        found = re.search(r'id="new-secret" data-endpoint="(\d+)">([^<]+)<', answer.text)
        assert found
        secret = unescape(found.group(2))
        [row] = endpoints(server)
        assert row.secret == secret and row.url == receiver.url and row.enabled
        assert row.events == "comment.published comment.held"
        # Shown once: the page never shows it again.
        page = browser_like.get("/moderation/mine/webhooks")
        assert page.status_code == 200 and receiver.url in page.text and secret not in page.text
        sent = browser_like.post(f"/moderation/mine/webhooks/{row.id}/test", data={"csrf": csrf})
        assert sent.status_code == 303 and sent.headers["location"].endswith("done=tested")
        assert deliver_all(server) == 1
    [got] = receiver.received
    stamp = got.headers["Rostra-Webhook-Timestamp"]
    assert got.headers["Rostra-Webhook-Signature"] == sign(secret, stamp, got.body)
    event = json.loads(got.body)
    assert event["type"] == "webhook.test" and event["data"] == {"test": True}
    log = browser_like.get("/moderation/mine/webhooks").text
    assert event["id"] in log and "delivered" in log


def test_disable_enable_and_delete(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss", csrf_from="/moderation/mine/webhooks")
    assert add(browser_like, csrf, "http://127.0.0.1:9/h", "comment.held").status_code == 200
    [row] = endpoints(server)
    base = f"/moderation/mine/webhooks/{row.id}"
    assert browser_like.post(base + "/disable", data={"csrf": csrf}).status_code == 303
    assert not endpoints(server)[0].enabled
    assert browser_like.post(base + "/enable", data={"csrf": csrf}).status_code == 303
    assert endpoints(server)[0].enabled
    assert browser_like.post(base + "/delete", data={"csrf": csrf}).status_code == 303
    assert endpoints(server) == []
    gone = browser_like.post(base + "/enable", data={"csrf": csrf})
    assert gone.status_code == 404 and "endpoint-not-found" in gone.text
    odd = browser_like.post("/moderation/mine/webhooks/abc/explode", data={"csrf": csrf})
    assert odd.status_code == 404


def test_an_endpoint_disabled_after_failures_is_announced(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss", csrf_from="/moderation/mine/webhooks")
    add(browser_like, csrf, "http://127.0.0.1:9/h", "comment.held")
    [row] = endpoints(server)
    hooks = SqlWebhookStore(server.store.engines)
    for attempt in (1, 2):
        hooks.record_delivery(
            row.id,
            "evt_x",
            "comment.held",
            attempt,
            row.created_at,
            500,
            "HTTP 500",
            ok=False,
            disable_after=2,
        )
    page = browser_like.get("/moderation/mine/webhooks")
    assert 'data-code="endpoint-disabled"' in page.text
    assert "after 2 failed deliveries in a row" in page.text and "HTTP 500" in page.text


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://hooks.example/a\r\nX-Injected: 1", "invalid-url"),
        ("ftp://hooks.example/a", "invalid-url"),
        ("javascript:alert(1)", "invalid-url"),
        ("", "invalid-url"),
        ("https://93.184.215.14/\x00", "invalid-url"),
        ("https://93.184.215.14/" + "a" * 2000, "invalid-url"),
        ("http://127.0.0.1.nip.io.invalid/%00", "unresolvable"),
    ],
)
def test_bad_urls_are_a_readable_page_and_store_nothing(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client, url: str, code: str
) -> None:
    csrf = sign_in(browser_like, "boss", csrf_from="/moderation/mine/webhooks")
    answer = add(browser_like, csrf, url, "comment.held")
    assert answer.status_code == 422 and f'data-code="{code}"' in answer.text
    assert "Traceback" not in answer.text and endpoints(server) == []
    none = add(browser_like, csrf, "https://93.184.215.14/h")
    assert none.status_code == 422 and 'data-code="no-events"' in none.text
    bogus = add(browser_like, csrf, "https://93.184.215.14/h", "comment.deleted")
    assert bogus.status_code == 422 and 'data-code="invalid-events"' in bogus.text
    assert endpoints(server) == []


def test_moderators_get_403_pages_and_forged_forms_change_nothing(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client
) -> None:
    with desk_client(server) as mod:
        mod_csrf = sign_in(mod, "mod")
        page = mod.get("/moderation/mine/webhooks")
        assert page.status_code == 403 and "<html" in page.text
        assert add(mod, mod_csrf, "https://93.184.215.14/h", "comment.held").status_code == 403
        assert "webhooks" not in mod.get("/moderation/mine/queue/pending").text.lower()
    csrf = sign_in(browser_like, "boss", csrf_from="/moderation/mine/webhooks")
    for forged in [None, "", "0" * 64]:
        answer = add(browser_like, forged, "https://93.184.215.14/h", "comment.held")
        assert answer.status_code == 403 and "csrf-failed" in answer.text
    cross = browser_like.post(
        "/moderation/mine/webhooks",
        data={"csrf": csrf, "url": "https://93.184.215.14/h", "events": "comment.held"},
        headers={"Origin": "https://attacker.example"},
    )
    assert cross.status_code == 403
    assert endpoints(server) == []
    with server.store.engines.read.connect() as conn:
        assert conn.execute(select(jobs)).fetchall() == []
