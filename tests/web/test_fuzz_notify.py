"""Fuzzing "Notify me of" on both databases: the follow API and form, and the confirm,
unsubscribe and manage links, with malformed, forged and foreign tokens, odd ids, CR/LF, NUL,
markup, SQL wildcards, wrong media types and foreign origins. Never a 5xx; a refusal is a
problem document on the API and a page on the links; nothing a refusal touches changes (no
subscription, subscriber, job or state), and what a 2xx says it did is what is stored."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select

from rostra.storage.repository import SqlStore
from rostra.storage.tables import jobs, subscribers, subscriptions
from tests.conftest import HOST_ORIGIN, IN_PROCESS_URL, LiveServer
from tests.helpers import API, PROBLEM, posted

pytestmark = pytest.mark.in_process

FUZZ = settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
NASTY = st.sampled_from(
    [
        "",
        "%",
        "_",
        "a%b_c@news.example",
        "x@news.example\r\nBcc: y@news.example",
        "x\x00@news.example",
        "<script>alert(1)</script>@news.example",
        "' OR 1=1 --",
        "é@news.example",
        "a" * 300,
        "1",
        "all",
        "-1",
        "99999999999999999999",
    ]
)
TEXT = st.one_of(NASTY, st.text(max_size=60))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A mail server is named (subscriptions are offered only then); nothing runs jobs to use it.
    return {"jobs_in_process": False, "smtp_url": "smtp://127.0.0.1:9"}


def snapshot(store: SqlStore) -> list[Any]:
    with store.engines.read.connect() as conn:
        return [
            [tuple(r) for r in conn.execute(select(t).order_by(t.c.id))]
            for t in (subscribers, subscriptions, jobs)
        ]


@pytest.fixture
def world(quiet: LiveServer) -> dict[str, str]:
    """One thread, one subscribed address, and its real links."""
    with quiet.client(headers={"Origin": HOST_ORIGIN}) as http:
        posted(http, "First.", email="one@news.example", notify="thread")
    ctx = quiet.app.app.ctx
    subs = ctx.subscriptions
    site = quiet.store.get_site("demo")
    assert site is not None
    with quiet.store.engines.read.connect() as conn:
        [subscriber_id] = [r.id for r in conn.execute(select(subscribers.c.id))]
    confirmation = subs.confirmation(site, subscriber_id)
    [view] = subs.reads.live_subscriptions(subscriber_id)
    return {
        "confirm": confirmation.confirm_token,
        "manage": confirmation.manage_token,
        "leave": subs.unsubscribe_token(site, view.subscription),
    }


def tokens(world: dict[str, str]) -> st.SearchStrategy[str]:
    real = list(world.values())

    def tamper(token: str, index: int, value: str) -> str:
        parts = token.split(".")
        parts[index % len(parts)] = value
        return ".".join(parts)

    return st.one_of(
        TEXT,
        st.builds(tamper, st.sampled_from(real), st.integers(0, 5), TEXT),
        st.builds(lambda t, extra: t + extra, st.sampled_from(real), TEXT),
    )


@FUZZ
@given(data=st.data())
def test_the_links_never_fail_and_a_refusal_changes_nothing(
    quiet: LiveServer, world: dict[str, str], data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(["confirm", "unsubscribe", "manage"]), label="path")
    token = data.draw(tokens(world), label="token")
    method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
    origin = data.draw(st.sampled_from([IN_PROCESS_URL, HOST_ORIGIN, None]), label="origin")
    form = data.draw(st.dictionaries(st.sampled_from(["subscription", "go"]), TEXT, max_size=2))
    media = data.draw(
        st.sampled_from(["application/x-www-form-urlencoded", "text/plain", "application/json"])
    )
    headers = {"Origin": origin} if origin else {}
    before = snapshot(quiet.store)
    with quiet.client(headers=headers) as client:
        if method == "GET":
            answer = client.get(f"/n/demo/{path}", params={"token": token})
        else:
            body = "&".join(f"{k}={v}" for k, v in form.items()).encode("utf-8", "replace")
            answer = client.post(
                f"/n/demo/{path}",
                params={"token": token},
                content=body,
                headers={"Content-Type": media},
            )
    note(f"{answer.status_code} {answer.text[:300]}")
    assert answer.status_code < 500
    assert answer.headers["content-type"].startswith("text/html")
    if answer.status_code >= 400 or method == "GET":
        assert snapshot(quiet.store) == before


@FUZZ
@given(
    thread=st.one_of(st.just("t1"), TEXT),
    email=TEXT,
    cadence=st.one_of(st.none(), st.sampled_from(["immediate", "daily"]), TEXT),
)
def test_following_never_fails_and_a_refusal_writes_nothing(
    quiet: LiveServer, world: dict[str, str], thread: str, email: str, cadence: str | None
) -> None:
    before = snapshot(quiet.store)
    body: dict[str, Any] = {"thread": thread, "email": email}
    if cadence is not None:
        body["cadence"] = cadence
    with quiet.client(headers={"Origin": HOST_ORIGIN}) as http:
        answer = http.post(f"{API}/subscriptions", json=body)
    note(answer.text[:300])
    assert answer.status_code in (202, 400, 403, 404, 422, 429), answer.text
    if answer.status_code == 202:
        return
    assert answer.headers["content-type"] == PROBLEM
    assert snapshot(quiet.store) == before


def test_a_foreign_page_cannot_post_to_the_links(quiet: LiveServer, world: dict[str, str]) -> None:
    before = snapshot(quiet.store)
    with quiet.client(headers={"Origin": "https://evil.example"}) as evil:
        for path, token in (("confirm", "confirm"), ("unsubscribe", "leave"), ("manage", "manage")):
            answer = evil.post(
                f"/n/demo/{path}", params={"token": world[token]}, data={"subscription": "all"}
            )
            assert answer.status_code == 403, answer.text
            assert answer.headers["content-type"].startswith("text/html")
    assert snapshot(quiet.store) == before
