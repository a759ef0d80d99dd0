"""A server with no ``smtp_url`` (and not the demo, which sets its sink's), on both databases:
"Notify me of" and "Follow this discussion" are not offered, in the embed's fragment or the
no-JS page; the API refuses a notify choice and a follow request with one precise problem
(409 ``notify-off``, in the reader's language) and writes nothing; an address alone is still
taken; the desk's "My alerts" page says alerts need a mail server and saves only "Off"; and
nothing is queued for a mail that could never be sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from rostra.domain.desk import Role
from rostra.storage.repository import SqlStore
from rostra.storage.tables import comments, jobs, staff_alerts, subscribers, subscriptions
from tests.conftest import HOST_ORIGIN, IN_PROCESS_URL, LiveServer
from tests.helpers import (
    API,
    PASSWORD,
    PROBLEM,
    QUIET,
    desk_client,
    post_comment,
    problem,
    sign_in,
    staff_accounts,
)

pytestmark = pytest.mark.in_process

OFF = "E-mail notifications are not enabled on this server."
OFF_FR = "Les notifications par e-mail ne sont pas activées sur ce serveur."


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"smtp_url": ""}


@pytest.fixture
def quiet(server: LiveServer) -> LiveServer:
    server.store.update_site("demo", None, QUIET)
    return server


def count(store: SqlStore, table: Any) -> int:
    with store.engines.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def nothing_queued(store: SqlStore) -> None:
    assert count(store, jobs) == 0
    assert count(store, subscribers) == count(store, subscriptions) == 0


def test_the_choice_and_the_follow_form_are_not_offered(quiet: LiveServer) -> None:
    with quiet.client(headers={"Origin": IN_PROCESS_URL}) as browser:
        page = browser.get("/t/demo", params={"thread": "t1"})
        embed = browser.get("/embed/demo/thread", params={"thread": "t1"})
    for answer in (page, embed):
        assert answer.status_code == 200, answer.text
        assert 'name="email"' in answer.text  # the form is there, its address field too
        assert 'name="notify"' not in answer.text and "rostra-notify-hint" not in answer.text
        assert "rostra-follow" not in answer.text and "/t/demo/follow" not in answer.text


def test_the_api_refuses_notify_and_follow_precisely_and_takes_an_address_alone(
    quiet: LiveServer, http: Any
) -> None:
    for notify in ("replies", "thread"):
        body = problem(
            post_comment(http, "Tell me.", email="reader@news.example", notify=notify),
            409,
            "notify-off",
        )
        assert body["detail"] == OFF
    follow = http.post(
        f"{API}/subscriptions", json={"thread": "t1", "email": "reader@news.example"}
    )
    assert problem(follow, 409, "notify-off")["detail"] == OFF
    french = http.post(
        f"{API}/subscriptions",
        json={"thread": "t1", "email": "reader@news.example"},
        headers={"Accept-Language": "fr"},
    )
    assert problem(french, 409, "notify-off")["detail"] == OFF_FR
    assert count(quiet.store, comments) == 0
    nothing_queued(quiet.store)
    kept = post_comment(http, "Just my address.", email="reader@news.example", notify="none")
    assert kept.status_code == 201, kept.text
    assert count(quiet.store, comments) == 1
    nothing_queued(quiet.store)


def test_the_no_js_forms_refuse_with_a_readable_page(quiet: LiveServer) -> None:
    with quiet.client(headers={"Origin": IN_PROCESS_URL}) as browser:
        follow = browser.post("/t/demo/follow", data={"thread": "t1", "email": "r@news.example"})
        post = browser.post(
            "/t/demo/post",
            data={"thread": "t1", "body": "Hi.", "email": "r@news.example", "notify": "thread"},
        )
    for answer in (follow, post):
        assert answer.status_code == 409, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert PROBLEM not in answer.headers["content-type"]
        assert OFF in answer.text
    assert count(quiet.store, comments) == 0
    nothing_queued(quiet.store)


def test_the_desk_says_alerts_need_a_mail_server_and_nothing_is_queued(
    server: LiveServer,
) -> None:
    site = server.store.create_site(
        "held",
        "Held",
        [HOST_ORIGIN],
        {**QUIET, "moderation": {**QUIET["moderation"], "premoderation": "all"}},
    )
    staff_accounts(server.store).create("mod", PASSWORD, Role.MODERATOR, [site.id], "Mo")
    with desk_client(server) as client:
        csrf = sign_in(client, "mod", csrf_from="/moderation/alerts")
        page = client.get("/moderation/alerts")
        assert 'id="alerts-no-mail"' in page.text and "smtp_url" in page.text
        form = {"csrf": csrf, "email": "mo@desk.example", "cadence": "immediate", "language": ""}
        refused = client.post("/moderation/alerts", data=form)
        assert refused.status_code == 422, refused.text
        assert 'data-code="alerts-need-mail"' in refused.text
        assert count(server.store, staff_alerts) == 0
        off = client.post("/moderation/alerts", data={**form, "cadence": "off"})
        assert off.status_code == 303, off.text
    with server.client(headers={"Origin": HOST_ORIGIN}) as http:
        held = post_comment(http, "Wait for the desk.", site="held")
    assert held.status_code == 202 and held.json()["comment"]["status"] == "pending", held.text
    assert count(server.store, jobs) == 0  # held, and no desk.alert job: no one could be told
