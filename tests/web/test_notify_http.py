""" "Notify me of" over HTTP, on both databases: the choice in the API, the no-JS form and the
follow form; the confirm, unsubscribe and manage links; and bad input, each refused precisely
with nothing written and nothing queued to send.

The app's own job runner is off here (``jobs_in_process = false``), so what was queued stays
countable; tests/notify/test_confirmation_mail.py sends the mail for real.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from rostra.domain.models import Site
from rostra.services.subscriptions import Subscriptions
from rostra.storage.repository import SqlStore
from rostra.storage.tables import comments, jobs, subscribers, subscriptions, threads
from tests.conftest import HOST_ORIGIN, IN_PROCESS_URL, LiveServer
from tests.helpers import API, PROBLEM, MovingClock, clocked_app, post_comment, posted, problem

pytestmark = pytest.mark.in_process

# The confirmation mails queued (other kinds of job, a published comment's, are not these tests').
CONFIRMATIONS = select(jobs).where(jobs.c.kind == "notify.confirm").subquery()
ADDRESS = "reader.one@news.example"
OTHER = "reader.two@news.example"
CLOCK = MovingClock()
INVALID = "invalid-email"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Behind a proxy on loopback, so a test can give each request its client's address; a mail
    # server named (subscriptions are offered only then), which no job here uses.
    return {
        "jobs_in_process": False,
        "trusted_proxies": ("127.0.0.1/32",),
        "smtp_url": "smtp://127.0.0.1:9",
    }


@pytest.fixture
def app_factory() -> Any:
    return clocked_app(CLOCK)


def service(server: LiveServer) -> Subscriptions:
    found = server.app.app.ctx.subscriptions
    assert isinstance(found, Subscriptions)
    return found


def count(store: SqlStore, table: Any) -> int:
    with store.engines.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def states(store: SqlStore) -> list[str]:
    with store.engines.read.connect() as conn:
        rows = conn.execute(select(subscriptions.c.state).order_by(subscriptions.c.id))
        return [r.state for r in rows]


def site(server: LiveServer) -> Site:
    found = server.store.get_site("demo")
    assert found is not None
    return found


def subscriber_ids(store: SqlStore) -> list[int]:
    with store.engines.read.connect() as conn:
        return [r.id for r in conn.execute(select(subscribers.c.id).order_by(subscribers.c.id))]


def links(server: LiveServer, subscriber_id: int) -> tuple[str, str]:
    """The confirm and manage tokens the confirmation mail of this subscriber would carry."""
    confirmation = service(server).confirmation(site(server), subscriber_id)
    assert confirmation is not None
    return confirmation.confirm_token, confirmation.manage_token


def own(server: LiveServer) -> httpx.Client:
    """A browser on this server's own pages (the pages the mails link to)."""
    return server.client(headers={"Origin": IN_PROCESS_URL})


def swap(token: str, index: int, value: int) -> str:
    """``token`` with its ``index``-th dot-separated part (an id) replaced, signature kept."""
    parts = token.split(".")
    assert parts[index] != str(value)
    parts[index] = str(value)
    return ".".join(parts)


def nothing_written(server: LiveServer) -> None:
    assert count(server.store, subscriptions) == count(server.store, subscribers) == 0
    assert count(server.store, CONFIRMATIONS) == 0


def test_a_comment_with_notify_subscribes_and_queues_one_confirmation(
    quiet: LiveServer, http: httpx.Client
) -> None:
    answer = post_comment(http, "Hello.", email=ADDRESS, notify="replies")
    assert answer.status_code == 201, answer.text
    assert states(quiet.store) == ["pending"]
    posted(http, "Again.", email=ADDRESS, notify="thread")
    assert states(quiet.store) == ["pending", "pending"]
    assert count(quiet.store, CONFIRMATIONS) == 1  # one confirmation for the address today
    assert ADDRESS not in str(rows_of(quiet.store))


def rows_of(store: SqlStore) -> list[Any]:
    with store.engines.read.connect() as conn:
        return [
            *conn.execute(select(subscribers)).fetchall(),
            *conn.execute(select(CONFIRMATIONS)).fetchall(),
        ]


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"notify": "thread"}, 422, "notify-needs-email"),
        ({"notify": "replies", "email": ""}, 422, "notify-needs-email"),
        ({"notify": "thread", "email": "reader@news.example\r\nBcc: x@y.example"}, 422, INVALID),
        ({"notify": "thread", "email": "r" * 65 + "@news.example"}, 422, "invalid-email"),
        ({"notify": "thread", "email": "r" * 250 + "@news.example"}, 422, "invalid-body"),
        ({"notify": "thread", "email": "no address"}, 422, "invalid-email"),
        ({"notify": "everything", "email": ADDRESS}, 422, "invalid-body"),
    ],
    ids=["no-email", "empty-email", "crlf", "long-local", "over-254", "malformed", "unknown"],
)
def test_a_notify_choice_without_a_usable_address_is_refused(
    quiet: LiveServer, http: httpx.Client, fields: dict[str, str], status: int, code: str
) -> None:
    body = problem(post_comment(http, "Hello.", **fields), status, code)
    if code != "invalid-body":
        assert body["field"] == "email"
    nothing_written(quiet)
    assert count(quiet.store, comments) == 0


def test_a_notify_choice_on_a_closed_thread_is_refused(
    quiet: LiveServer, http: httpx.Client
) -> None:
    posted(http, "First.")
    with quiet.store.engines.write.begin() as conn:
        conn.execute(update(threads).values(closed=True))
    problem(post_comment(http, "Second.", email=ADDRESS, notify="thread"), 403, "thread-closed")
    nothing_written(quiet)
    follow = http.post(f"{API}/subscriptions", json={"thread": "t1", "email": ADDRESS})
    problem(follow, 403, "thread-closed")
    nothing_written(quiet)


def test_following_a_thread_without_commenting(quiet: LiveServer, http: httpx.Client) -> None:
    posted(http, "First.")
    answer = http.post(
        f"{API}/subscriptions", json={"thread": "t1", "email": ADDRESS, "cadence": "daily"}
    )
    assert answer.status_code == 202, answer.text
    assert answer.headers["access-control-allow-origin"] == HOST_ORIGIN
    assert "confirm" in answer.json()["message"]
    with quiet.store.engines.read.connect() as conn:
        row = conn.execute(select(subscriptions)).one()
    assert (row.target, row.cadence, row.state) == ("thread", "daily", "pending")
    # Confirmed or not, the answer is the same: no one learns another's subscriptions from it.
    [subscriber] = subscriber_ids(quiet.store)
    confirm, _ = links(quiet, subscriber)
    service(quiet).confirm(site(quiet), confirm)
    again = http.post(f"{API}/subscriptions", json={"thread": "t1", "email": ADDRESS})
    assert again.status_code == 202 and again.json() == answer.json()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"thread": "nope", "email": ADDRESS}, 404, "thread-not-found"),
        ({"thread": "t1", "email": "a@b\nc.example"}, 422, "invalid-email"),
        ({"thread": "t1", "email": "ré@news.example"}, 422, "invalid-email"),
        ({"thread": "t1", "email": ADDRESS, "cadence": "weekly"}, 422, "invalid-body"),
        ({"thread": "t1"}, 422, "invalid-body"),
    ],
    ids=["unknown-thread", "lf", "non-ascii", "cadence", "no-email"],
)
def test_bad_follow_requests_write_nothing(
    quiet: LiveServer, http: httpx.Client, body: dict[str, str], status: int, code: str
) -> None:
    posted(http, "First.")
    problem(http.post(f"{API}/subscriptions", json=body), status, code)
    nothing_written(quiet)


def test_a_hundred_requests_a_minute_are_refused_past_the_limits(
    quiet: LiveServer, http: httpx.Client
) -> None:
    posted(http, "First.")

    def flood(headers: dict[str, str], tag: str) -> list[int]:
        # Another target address each time: the per-client and per-reader limits hold alone.
        return [
            http.post(
                f"{API}/subscriptions",
                json={"thread": "t1", "email": f"{tag}{n}@news.example"},
                headers=headers,
            ).status_code
            for n in range(100)
        ]

    one_client = flood({"X-Forwarded-For": "203.0.113.7"}, "client")
    assert one_client.count(202) == 20 and one_client.count(429) == 80
    assert count(quiet.store, CONFIRMATIONS) == 20
    # One reader, from a new address each time (a reader token names them).
    token = http.post(f"{API}/readers", headers={"X-Forwarded-For": "198.51.100.1"}).json()
    one_reader = [
        http.post(
            f"{API}/subscriptions",
            json={"thread": "t1", "email": f"reader{n}@news.example"},
            headers={"X-Forwarded-For": f"198.51.100.{n + 2}", "X-Rostra-Reader": token["token"]},
        ).status_code
        for n in range(100)
    ]
    assert one_reader.count(202) == 10 and one_reader.count(429) == 90
    assert count(quiet.store, CONFIRMATIONS) == 30
    refused = http.post(
        f"{API}/subscriptions",
        json={"thread": "t1", "email": OTHER},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    problem(refused, 429, refused.json()["code"])
    assert refused.headers["retry-after"]
    assert count(quiet.store, CONFIRMATIONS) == 30


def test_a_hundred_requests_for_one_address_send_one_mail(
    quiet: LiveServer, http: httpx.Client
) -> None:
    posted(http, "First.")
    answers = [
        http.post(f"{API}/subscriptions", json={"thread": "t1", "email": ADDRESS}).status_code
        for _ in range(100)
    ]
    assert answers.count(202) == 5 and answers.count(429) == 95
    assert count(quiet.store, CONFIRMATIONS) == 1 and count(quiet.store, subscriptions) == 1


def test_the_confirmation_link_shows_a_button_and_confirms_once(quiet: LiveServer) -> None:
    with quiet.client(headers={"Origin": HOST_ORIGIN}) as http:
        posted(http, "Hello.", email=ADDRESS, notify="thread")
    [subscriber] = subscriber_ids(quiet.store)
    confirm, _ = links(quiet, subscriber)
    with own(quiet) as browser:
        page = browser.get("/n/demo/confirm", params={"token": confirm})
        assert page.status_code == 200 and 'method="post"' in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        assert states(quiet.store) == ["pending"]  # a GET (a mail scanner) confirms nothing
        done = browser.post("/n/demo/confirm", params={"token": confirm}, data={"go": "1"})
        assert done.status_code == 200, done.text
        assert states(quiet.store) == ["confirmed"]
        assert "/n/demo/manage?token=" in done.text
        replay = browser.post("/n/demo/confirm", params={"token": confirm}, data={"go": "1"})
        assert replay.status_code == 409 and replay.headers["content-type"].startswith("text/html")
        assert browser.get("/n/demo/confirm", params={"token": confirm}).status_code == 409


def test_forged_expired_and_foreign_links_are_refused_as_pages(quiet: LiveServer) -> None:
    with quiet.client(headers={"Origin": HOST_ORIGIN}) as http:
        posted(http, "Hello.", email=ADDRESS, notify="thread")
        posted(http, "Hi.", email=OTHER, notify="thread")
    first, second = subscriber_ids(quiet.store)
    confirm, manage = links(quiet, first)
    other_confirm, other_manage = links(quiet, second)
    # The other address's id in the first's link: the signature no longer holds.
    forged = swap(confirm, 2, second)
    forged_manage = swap(manage, 2, second)
    subs = service(quiet)
    [mine] = subs.reads.live_subscriptions(first)
    [theirs] = subs.reads.live_subscriptions(second)
    leave = subs.unsubscribe_token(site(quiet), mine.subscription)
    # The first address's leaving link, pointed at the second address's subscription.
    forged_leave = swap(leave, 3, theirs.subscription.id)
    with own(quiet) as browser:
        for path, token in [
            ("confirm", forged),
            ("confirm", confirm[:-1] + ("0" if confirm[-1] != "0" else "1")),
            ("confirm", "c1.1.2.3"),
            ("confirm", "x" * 1000),
            ("manage", forged_manage),
            ("manage", other_confirm),
            ("unsubscribe", forged_manage),
            ("unsubscribe", forged_leave),
            ("unsubscribe", other_confirm),
        ]:
            answer = browser.get(f"/n/demo/{path}", params={"token": token})
            assert answer.status_code == 403, (path, token, answer.text)
            assert answer.headers["content-type"].startswith("text/html")
            posted_answer = browser.post(
                f"/n/demo/{path}", params={"token": token}, data={"go": "1", "subscription": "all"}
            )
            assert posted_answer.status_code in (403, 422), posted_answer.text
        assert (
            "This link is not valid."
            in browser.get("/n/demo/confirm", params={"token": forged}).text
        )
        quiet.store.create_site("other", "Other", [], {})
        foreign_site = browser.get("/n/other/manage", params={"token": manage})
        assert foreign_site.status_code == 403
        assert "This link belongs to another site." in foreign_site.text
        missing = browser.get("/n/demo/manage")
        assert missing.status_code == 400 and missing.headers["content-type"].startswith("text/")
        CLOCK.advance(8 * 86400)
        try:
            expired = browser.post(
                "/n/demo/confirm", params={"token": other_confirm}, data={"go": "1"}
            )
            assert expired.status_code == 410, expired.text
        finally:
            CLOCK.advance(-8 * 86400)
    assert states(quiet.store) == ["pending", "pending"]
    assert other_manage  # the other address's own link is untouched by all this


def test_one_click_unsubscribe_ends_one_subscription_and_is_idempotent(
    quiet: LiveServer,
) -> None:
    with quiet.client(headers={"Origin": HOST_ORIGIN}) as http:
        posted(http, "Hello.", email=ADDRESS, notify="thread")
        posted(http, "Elsewhere.", thread="t2", email=ADDRESS, notify="thread")
    [subscriber] = subscriber_ids(quiet.store)
    subs = service(quiet)
    views = subs.reads.live_subscriptions(subscriber)
    token = subs.unsubscribe_token(site(quiet), views[-1].subscription)
    # A mail client's one click (RFC 8058): no Origin, no cookie, the body as the RFC says.
    with quiet.client() as mail_client:
        page = mail_client.get("/n/demo/unsubscribe", params={"token": token})
        assert page.status_code == 200 and 'method="post"' in page.text
        assert states(quiet.store) == ["pending", "pending"]
        for _ in range(2):
            click = mail_client.post(
                "/n/demo/unsubscribe",
                params={"token": token},
                content=b"List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert click.status_code == 200, click.text
            assert states(quiet.store) == ["ended", "pending"]
        multipart = mail_client.post(
            "/n/demo/unsubscribe",
            params={"token": token},
            files={"List-Unsubscribe": (None, "One-Click")},
        )
        assert multipart.status_code == 200
    assert states(quiet.store) == ["ended", "pending"]


def test_manage_lists_titles_and_stops_one_or_all_from_this_server_only(
    quiet: LiveServer,
) -> None:
    with quiet.client(headers={"Origin": HOST_ORIGIN}) as http:
        posted(
            http,
            "Hello.",
            email=ADDRESS,
            notify="thread",
            url=HOST_ORIGIN + "/ferry",
            title="Ferry timetable",
        )
        posted(
            http,
            "More.",
            thread="t2",
            email=ADDRESS,
            notify="replies",
            url=HOST_ORIGIN + "/library",
            title="Library hours",
        )
    [subscriber] = subscriber_ids(quiet.store)
    _, manage = links(quiet, subscriber)
    ids = [v.subscription.id for v in service(quiet).reads.live_subscriptions(subscriber)]
    with own(quiet) as browser:
        page = browser.get("/n/demo/manage", params={"token": manage})
        assert page.status_code == 200
        assert "Ferry timetable" in page.text and "Library hours" in page.text
        # Another site's page cannot make the reader's browser stop anything.
        foreign = quiet.client(headers={"Origin": HOST_ORIGIN}).post(
            "/n/demo/manage", params={"token": manage}, data={"subscription": "all"}
        )
        assert foreign.status_code == 403 and foreign.headers["content-type"].startswith("text/")
        assert states(quiet.store) == ["pending", "pending"]
        bad = browser.post("/n/demo/manage", params={"token": manage}, data={"subscription": "x%"})
        assert bad.status_code == 422
        one = browser.post(
            "/n/demo/manage", params={"token": manage}, data={"subscription": str(ids[0])}
        )
        assert one.status_code == 200 and states(quiet.store).count("ended") == 1
        every = browser.post(
            "/n/demo/manage", params={"token": manage}, data={"subscription": "all"}
        )
        assert every.status_code == 200 and states(quiet.store) == ["ended", "ended"]
        assert "You follow nothing" in every.text


def test_the_no_js_forms_choose_and_follow(quiet: LiveServer) -> None:
    with own(quiet) as browser:
        page = browser.get("/t/demo", params={"thread": "t1"})
        assert 'name="notify"' in page.text
        sent = browser.post(
            "/t/demo/post",
            data={"thread": "t1", "body": "From the form.", "email": ADDRESS, "notify": "replies"},
        )
        assert sent.status_code == 303, sent.text
        assert states(quiet.store) == ["pending"]
        page = browser.get("/t/demo", params={"thread": "t1"})
        assert 'action="http://127.0.0.1/t/demo/follow"' in page.text
        follow = browser.post(
            "/t/demo/follow", data={"thread": "t1", "email": OTHER, "cadence": "hourly"}
        )
        assert follow.status_code == 202 and follow.headers["content-type"].startswith("text/html")
        assert states(quiet.store) == ["pending", "pending"]
        refused = browser.post(
            "/t/demo/follow", data={"thread": "t1", "email": "bad\r\naddress@news.example"}
        )
        assert refused.status_code == 422 and "text/html" in refused.headers["content-type"]
        unknown = browser.post("/t/demo/follow", data={"thread": "none-such", "email": OTHER})
        assert unknown.status_code == 404
        no_email = browser.post(
            "/t/demo/post", data={"thread": "t1", "body": "Again.", "notify": "thread"}
        )
        assert no_email.status_code == 422 and PROBLEM not in no_email.headers["content-type"]
    assert states(quiet.store) == ["pending", "pending"]
    assert count(quiet.store, CONFIRMATIONS) == 2
