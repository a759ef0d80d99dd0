"""The desk's webhooks page as an admin runs it, on SQLite and PostgreSQL: an endpoint Rostra
disabled after failures at a real receiver shows when, after how many and the last error, even
to an admin without an alert address (who gets no mail job), and enabling it again resets its
count; editing and rotating the secret; every change in the audit log under the admin's name,
the automated disabling under Rostra's, never a secret; a bad edit is a readable 422 page that
changes nothing; a moderator cannot rotate a secret."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rostra.app import register_webhook_jobs
from rostra.config import load_settings
from rostra.domain.desk import Role
from rostra.domain.models import Author, Site
from rostra.jobs.registry import JobHandlers
from rostra.jobs.runner import Runner
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.services.webhooks import NOTICE_JOB
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.tables import audit_log, jobs, webhook_endpoints
from rostra.storage.webhooks import SqlWebhookStore
from tests.conftest import HOST_ORIGIN, SECRET, LiveServer
from tests.helpers import PASSWORD, QUIET, desk_client, sign_in, staff_accounts
from tests.webhooks.receiver import Behaviour, receiving

pytestmark = pytest.mark.in_process

PAGE = "/moderation/mine/webhooks"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The receivers are on loopback; the test runs the deliveries itself.
    return {"jobs_in_process": False, "webhook_allow_private_addresses": True}


@pytest.fixture
def newsroom(server: LiveServer) -> Site:
    store = server.store
    site = store.create_site("mine", "Mine", [HOST_ORIGIN], QUIET)
    accounts = staff_accounts(store)
    accounts.create("boss", PASSWORD, Role.ADMIN, [], "Chief Editor")
    accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id], "Moderator Mo")
    return site


@pytest.fixture
def boss(server: LiveServer, newsroom: Site) -> Iterator[tuple[httpx.Client, str]]:
    with desk_client(server) as client:
        yield client, sign_in(client, "boss", csrf_from=PAGE)


def rows(server: LiveServer) -> list[Any]:
    with server.store.engines.read.connect() as conn:
        return list(conn.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.id)))


def audit(server: LiveServer) -> list[Any]:
    with server.store.engines.read.connect() as conn:
        return list(conn.execute(select(audit_log).order_by(audit_log.c.id)))


def failing_deliveries(server: LiveServer, site: Site, count: int) -> None:
    """``count`` published comments, each delivery run once by the real handlers (Rostra's
    ``webhook.deliver`` and ``webhook.disabled``) with endpoints disabled after two failures."""
    settings = load_settings(
        env={}, secret_key=SECRET, webhook_allow_private_addresses=True, webhook_disable_after=2
    )
    handlers = JobHandlers()
    register_webhook_jobs(handlers, settings, server.store)
    talk = Discussion(server.store, ReaderTokens(Signer(SECRET)))
    for n in range(count):
        request = PostRequest("t1", f"Comment {n}.", author_name="Ines")
        talk.post(site, request, Author(reader_key="reader-of-the-test"))
    Runner(SqlJobQueue(server.store.engines), handlers).run_batch()


def test_the_banner_says_when_and_why_and_enabling_resets_the_count(
    server: LiveServer, newsroom: Site, boss: tuple[httpx.Client, str]
) -> None:
    client, csrf = boss
    with receiving() as receiver:
        receiver.behaviour = Behaviour(statuses=[500])
        assert (
            client.post(
                PAGE, data={"csrf": csrf, "url": receiver.url, "events": ["comment.published"]}
            ).status_code
            == 200
        )
        failing_deliveries(server, newsroom, 2)
    [row] = rows(server)
    assert not row.enabled and row.consecutive_failures == 2 and row.disabled_reason == "HTTP 500"
    page = client.get(PAGE).text
    [banner] = re.findall(r'<p class="desk-error"[^>]*data-code="endpoint-disabled"[^>]*>(.*?)</p>',
                          page, re.S)  # fmt: skip
    banner = unescape(banner)
    assert receiver.url in banner and "after 2 failed deliveries in a row on " in banner
    assert ": HTTP 500." in banner and str(row.disabled_at.year) in banner
    # The admin has no alert address: no mail job, and the banner shows all the same.
    with server.store.engines.read.connect() as conn:
        assert list(conn.execute(select(jobs).where(jobs.c.kind == NOTICE_JOB))) == []
    assert client.post(f"{PAGE}/{row.id}/enable", data={"csrf": csrf}).status_code == 303
    [again] = rows(server)
    assert again.enabled and again.consecutive_failures == 0 and again.disabled_at is None
    assert 'data-code="endpoint-disabled"' not in client.get(PAGE).text


def test_every_change_is_audited_under_its_actor_and_never_with_a_secret(
    server: LiveServer, newsroom: Site, boss: tuple[httpx.Client, str]
) -> None:
    client, csrf = boss
    first = "http://127.0.0.1:9/first"
    made = client.post(PAGE, data={"csrf": csrf, "url": first, "events": ["comment.held"]})
    [secret] = re.findall(r'id="new-secret"[^>]*>([^<]+)<', made.text)
    [row] = rows(server)
    base = f"{PAGE}/{row.id}"
    second = "http://127.0.0.1:9/second"
    edited = client.post(
        base + "/edit",
        data={"csrf": csrf, "url": second, "events": ["comment.held", "comment.decided"]},
    )
    assert edited.status_code == 303 and edited.headers["location"].endswith("done=edited")
    [row] = rows(server)
    assert row.url == second and row.events == "comment.held comment.decided"
    assert row.secret == secret
    rotated = client.post(base + "/rotate", data={"csrf": csrf})
    assert rotated.status_code == 200
    [new_secret] = re.findall(r'id="new-secret"[^>]*>([^<]+)<', rotated.text)
    assert new_secret != secret and rows(server)[0].secret == new_secret
    for action in ("disable", "enable", "delete"):
        assert client.post(f"{base}/{action}", data={"csrf": csrf}).status_code == 303
    entries = audit(server)
    assert [e.action for e in entries] == [
        "webhook_add",
        "webhook_edit",
        "webhook_rotate_secret",
        "webhook_disable",
        "webhook_enable",
        "webhook_delete",
    ]
    boss_id = {e.actor_id for e in entries}
    assert len(boss_id) == 1 and None not in boss_id
    assert {e.actor_name for e in entries} == {"Chief Editor"}
    assert first in entries[1].detail and second in entries[1].detail
    assert all(secret not in e.detail and new_secret not in e.detail for e in entries)
    log = client.get("/moderation/mine/audit").text
    for label in (
        "Webhook endpoint added",
        "Webhook endpoint changed",
        "Webhook endpoint given a new secret",
        "Webhook endpoint disabled",
        "Webhook endpoint enabled",
        "Webhook endpoint deleted",
    ):
        assert label in log
    assert "Chief Editor" in log and secret not in log and new_secret not in log
    assert f"“{first}” → “{second}”" in unescape(log)


def test_the_automated_disabling_is_audited_under_rostra(
    server: LiveServer, newsroom: Site, boss: tuple[httpx.Client, str]
) -> None:
    client, csrf = boss
    with receiving() as receiver:
        receiver.behaviour = Behaviour(statuses=[503])
        client.post(PAGE, data={"csrf": csrf, "url": receiver.url, "events": ["comment.published"]})
        failing_deliveries(server, newsroom, 3)
    auto = [e for e in audit(server) if e.action == "webhook_auto_disable"]
    assert len(auto) == 1 and auto[0].actor_id is None and auto[0].actor_name == "rostra"
    log = unescape(client.get("/moderation/mine/audit").text)
    assert "Webhook endpoint disabled after repeated failures" in log
    assert "Failed deliveries in a row:</span> 2" in log and "Last error:</span> HTTP 503" in log


@pytest.mark.parametrize(
    ("url", "events", "code"),
    [
        ("http://127.0.0.1:9/a\r\nX-Injected: 1", ["comment.held"], "invalid-url"),
        ("ftp://127.0.0.1/a", ["comment.held"], "invalid-url"),
        ("http://127.0.0.1:9/ok", [], "no-events"),
        ("http://127.0.0.1:9/ok", ["comment.deleted"], "invalid-events"),
    ],
)
def test_a_bad_edit_is_a_readable_page_and_changes_nothing(
    server: LiveServer,
    newsroom: Site,
    boss: tuple[httpx.Client, str],
    url: str,
    events: list[str],
    code: str,
) -> None:
    client, csrf = boss
    client.post(
        PAGE, data={"csrf": csrf, "url": "http://127.0.0.1:9/h", "events": ["comment.held"]}
    )
    [before] = rows(server)
    answer = client.post(
        f"{PAGE}/{before.id}/edit", data={"csrf": csrf, "url": url, "events": events}
    )
    assert answer.status_code == 422 and f'data-code="{code}"' in answer.text
    assert "Traceback" not in answer.text and "<html" in answer.text
    assert rows(server) == [before]
    assert [e.action for e in audit(server)] == ["webhook_add"]


def test_a_moderator_cannot_rotate_or_edit(
    server: LiveServer, newsroom: Site, boss: tuple[httpx.Client, str]
) -> None:
    client, csrf = boss
    client.post(
        PAGE, data={"csrf": csrf, "url": "http://127.0.0.1:9/h", "events": ["comment.held"]}
    )
    [before] = rows(server)
    with desk_client(server) as mod:
        mod_csrf = sign_in(mod, "mod")
        for action, data in (
            ("rotate", {}),
            ("edit", {"url": "http://127.0.0.1:9/x", "events": ["comment.held"]}),
        ):
            answer = mod.post(f"{PAGE}/{before.id}/{action}", data={"csrf": mod_csrf, **data})
            assert answer.status_code == 403
    # Without the session's CSRF token, the admin's own forms change nothing either.
    assert client.post(f"{PAGE}/{before.id}/rotate", data={"csrf": "0" * 64}).status_code == 403
    assert rows(server) == [before]
    assert [e.action for e in audit(server)] == ["webhook_add"]


def test_the_banner_counts_one_failure_in_the_singular_and_in_french(
    server: LiveServer, newsroom: Site, boss: tuple[httpx.Client, str]
) -> None:
    client, csrf = boss
    client.post(
        PAGE, data={"csrf": csrf, "url": "http://127.0.0.1:9/h", "events": ["comment.held"]}
    )
    [row] = rows(server)
    SqlWebhookStore(server.store.engines).record_delivery(
        row.id, "evt_1", "comment.held", 1, row.created_at, None, "timed out",
        ok=False, disable_after=1,
    )  # fmt: skip
    english = unescape(client.get(PAGE).text)
    assert "after 1 failed delivery in a row on " in english and ": timed out." in english
    french = unescape(client.get(PAGE, headers={"Accept-Language": "fr"}).text)
    assert "après 1 livraison échouée de suite, le " in french and " : timed out." in french
