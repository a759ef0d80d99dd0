"""Delivering webhook events to real HTTP receivers on loopback, on SQLite and PostgreSQL: the
signed event the documented snippet verifies, retries with the same id, a receiver down then
back, disabling after failures in a row, no redirects, a slow answer, a huge answer, and the
SSRF check again at delivery."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from rostra.domain.errors import InvalidInput
from rostra.domain.models import Author
from rostra.domain.webhooks import Actor, Endpoint
from rostra.jobs.registry import JobHandlers
from rostra.jobs.retry import RetryPolicy
from rostra.jobs.runner import Runner, RunnerSettings
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.services.webhooks import DELIVER_JOB, Webhooks
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.repository import SqlStore
from rostra.storage.tables import jobs
from rostra.storage.webhooks import SqlWebhookStore
from rostra.webhooks.delivery import Deliverer, DeliverySettings
from tests.conftest import SECRET
from tests.helpers import MovingClock, closed_port
from tests.webhooks.receiver import Behaviour, Receiver, receiving

ACTOR = Actor(None, "tester (command line)")

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
ADDRESS = "ines.moreau@news.example"
CLIENT_IP = "203.0.113.77"


def documented_verify() -> Any:
    """The verification snippet of docs/webhooks.md, as a receiver would paste it."""
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - our own documentation's snippet
    return namespace["verify"]


class World:
    def __init__(
        self, store: SqlStore, site_settings: dict[str, Any] | None = None, **settings: Any
    ) -> None:
        self.store = store
        self.clock = MovingClock()
        self.site = store.create_site("news", "News", [], site_settings or {})
        self.hooks = Webhooks(SqlWebhookStore(store.engines), allow_private=True, clock=self.clock)
        self.delivery = DeliverySettings(**{"allow_private": True, **settings})
        handlers = JobHandlers()
        handlers.register(
            DELIVER_JOB, Deliverer(SqlWebhookStore(store.engines), store, self.delivery)
        )
        self.runner = Runner(
            SqlJobQueue(store.engines),
            handlers,
            RunnerSettings(retry=RetryPolicy(base_seconds=10, max_seconds=60, max_attempts=5)),
            clock=self.clock,
        )
        self.talk = Discussion(store, ReaderTokens(Signer(SECRET)), clock=self.clock)

    def endpoint(self, url: str, events: tuple[str, ...] = ("comment.published",)) -> Endpoint:
        return self.hooks.add(self.site, url, list(events), ACTOR)

    def post(self, body: str = "A civil first comment.") -> str:
        comment = self.talk.post(
            self.site,
            PostRequest(
                "t1",
                body,
                author_name="Ines",
                email=ADDRESS,
                client_ip=CLIENT_IP,
                url="https://news.example/a",
                title="The bridge",
            ),
            Author(reader_key="reader-of-the-test"),
        )
        return comment.public_id

    def run(self) -> int:
        return self.runner.run_batch()

    def later(self) -> int:
        """Past any backoff the retry policy can choose, then a batch."""
        self.clock.advance(61)
        return self.run()

    def states(self) -> list[str]:
        with self.store.engines.read.connect() as conn:
            rows = conn.execute(select(jobs.c.state).where(jobs.c.kind == DELIVER_JOB))
            return [r.state for r in rows]

    def log(self) -> list[tuple[bool, int | None, str]]:
        return [(d.ok, d.status, d.outcome) for d in reversed(self.hooks.deliveries(self.site))]

    def current(self, endpoint: Endpoint) -> Endpoint:
        return self.hooks.get(self.site, endpoint.id)


@pytest.fixture
def world(store: SqlStore) -> World:
    return World(store, timeout_seconds=2.0)


def test_a_published_comment_delivers_a_signed_event_the_documented_snippet_verifies(
    world: World,
) -> None:
    with receiving() as receiver:
        endpoint = world.endpoint(receiver.url)
        public_id = world.post()
        assert world.run() == 1
    [got] = receiver.received
    verify = documented_verify()
    assert verify(endpoint.secret, got.headers, got.body)
    # The snippet refuses a forged body, another secret and an old timestamp.
    assert not verify(endpoint.secret, got.headers, got.body + b" ")
    assert not verify("whsec_" + "0" * 64, got.headers, got.body)
    old = {
        **got.headers,
        "Rostra-Webhook-Timestamp": str(int(got.headers["Rostra-Webhook-Timestamp"]) - 3600),
    }
    assert not verify(endpoint.secret, old, got.body)
    event = json.loads(got.body)
    assert event["id"] == got.headers["Rostra-Webhook-Id"] and event["id"].startswith("evt_")
    assert event["type"] == "comment.published" and event["site"] == "news"
    assert event["data"]["comment"] == {
        "id": public_id,
        "status": "published",
        "author_name": "Ines",
        "body": "A civil first comment.",
        "created_at": event["data"]["comment"]["created_at"],
    }
    # The CMS did not sign the article's address and title, so the thread has none yet.
    assert event["data"]["thread"] == {"id": "t1", "url": "", "title": ""}
    raw = got.body.decode() + json.dumps(got.headers)
    assert ADDRESS not in raw and CLIENT_IP not in raw and "reader-of-the-test" not in raw
    assert world.states() == ["done"]
    assert world.log() == [(True, 200, "delivered")]


def test_a_500_then_a_200_delivers_twice_with_the_same_id_then_done(world: World) -> None:
    with receiving() as receiver:
        receiver.behaviour = Behaviour(statuses=[500, 200])
        world.endpoint(receiver.url)
        world.post()
        assert world.run() == 1
        assert world.states() == ["queued"]
        assert world.run() == 0  # not before its backoff
        assert world.later() == 1
    first, second = receiver.received
    assert first.headers["Rostra-Webhook-Id"] == second.headers["Rostra-Webhook-Id"]
    assert first.body == second.body
    assert world.states() == ["done"]
    assert world.log() == [(False, 500, "HTTP 500"), (True, 200, "delivered")]


def test_a_receiver_that_is_down_gets_the_event_when_it_comes_back(world: World) -> None:
    port = closed_port()
    endpoint = world.endpoint(f"http://127.0.0.1:{port}/hook")
    world.post()
    assert world.run() == 1
    assert world.later() == 1
    assert world.states() == ["queued"]
    [(ok, status, outcome), _] = world.log()
    assert (ok, status) == (False, None) and outcome.startswith("unreachable")
    with receiving(port) as receiver:
        assert world.later() == 1
    assert len(receiver.received) == 1 and world.states() == ["done"]
    assert world.current(endpoint).consecutive_failures == 0


def test_repeated_failures_disable_the_endpoint_and_say_so(store: SqlStore) -> None:
    world = World(store, timeout_seconds=2.0, disable_after=3)
    with receiving() as receiver:
        receiver.behaviour = Behaviour(statuses=[503])
        endpoint = world.endpoint(receiver.url)
        world.post("First.")
        world.post("Second.")
        assert world.run() == 2
        assert world.current(endpoint).enabled
        # The third failure in a row disables it; the fourth job then ends without a request.
        assert world.later() == 2
        gone = world.current(endpoint)
        assert not gone.enabled and gone.consecutive_failures == 3
        assert gone.disabled_reason == "HTTP 503"  # the last error
        assert gone.disabled_at is not None
        assert len(receiver.received) == 3
        # What was still queued for it ends in the dead-letter list, without a request, and
        # a comment published now queues nothing for it.
        world.post("Third.")
        world.later()
        world.later()
        assert len(receiver.received) == 3
    assert world.states() == ["dead", "dead"]
    # An admin enables it again: its failures start over.
    again = world.hooks.set_enabled(world.site, endpoint.id, True, ACTOR)
    assert again.enabled and again.consecutive_failures == 0 and again.disabled_reason is None


def test_a_redirect_is_not_followed(world: World) -> None:
    with receiving() as elsewhere, receiving() as receiver:
        receiver.behaviour = Behaviour(statuses=[302], location=elsewhere.url)
        world.endpoint(receiver.url)
        world.post()
        assert world.run() == 1
    assert len(receiver.received) == 1 and elsewhere.received == []
    assert world.log() == [(False, 302, "redirect not followed")]
    assert world.states() == ["queued"]


def test_a_slow_answer_times_out(store: SqlStore) -> None:
    world = World(store, timeout_seconds=0.5)
    receiver = Receiver().start()
    receiver.behaviour = Behaviour(hold=threading.Event())
    try:
        world.endpoint(receiver.url)
        world.post()
        assert world.run() == 1
        assert len(receiver.received) == 1  # it arrived; the answer never came
    finally:
        receiver.stop()
    assert world.log() == [(False, None, "timed out")]
    assert world.states() == ["queued"]


def test_a_huge_answer_is_cut_and_counted_a_failure(store: SqlStore) -> None:
    world = World(store, timeout_seconds=5.0, max_response_bytes=2048)
    with receiving() as receiver:
        receiver.behaviour = Behaviour(statuses=[200], body=b"x" * 5_000_000)
        world.endpoint(receiver.url)
        world.post()
        assert world.run() == 1
    assert world.log() == [(False, 200, "answer too large")]
    assert world.states() == ["queued"]


def test_a_loopback_endpoint_is_refused_at_delivery_unless_allowed(store: SqlStore) -> None:
    strict = World(store, timeout_seconds=2.0, allow_private=False)
    with receiving() as receiver:
        # Registered while allowed (or its name resolved elsewhere then): delivery checks again.
        strict.endpoint(receiver.url)
        strict.post()
        assert strict.run() == 1
    assert receiver.received == []
    assert strict.log() == [(False, None, "refused address")]


def test_a_name_that_now_resolves_to_a_private_address_is_refused_at_delivery(
    store: SqlStore,
) -> None:
    world = World(store, timeout_seconds=2.0, allow_private=False)
    answers = {"hooks.example": ["93.184.215.14"]}
    world.hooks.resolve = lambda host, port: answers[host]
    world.hooks.allow_private = False
    world.endpoint("http://hooks.example/hook")
    with receiving() as receiver:
        # DNS changed since registration: the name now points at loopback.
        answers["hooks.example"] = ["127.0.0.1"]
        deliverer = Deliverer(
            SqlWebhookStore(store.engines),
            store,
            world.delivery,
            resolve=lambda host, port: answers[host],
        )
        handlers = JobHandlers()
        handlers.register(DELIVER_JOB, deliverer)
        world.runner.handlers = handlers
        world.post()
        assert world.run() == 1
    assert receiver.received == []
    assert world.log() == [(False, None, "refused address")]


def test_a_site_that_allows_private_addresses_gets_them_and_only_while_it_does(
    store: SqlStore,
) -> None:
    world = World(
        store, {"webhook_allow_private_addresses": True}, timeout_seconds=2.0, allow_private=False
    )
    world.hooks.allow_private = False  # the server allows none: the site's setting does
    with receiving() as receiver:
        world.endpoint(receiver.url)
        world.post("While allowed.")
        assert world.run() == 1
        assert len(receiver.received) == 1
        # The operator takes the site's permission back: the next delivery is refused.
        store.update_site("news", None, {})
        world.post("No longer.")
        assert world.run() == 1
        assert len(receiver.received) == 1
    assert world.log() == [(True, 200, "delivered"), (False, None, "refused address")]
    # And a site without the setting cannot register such an endpoint at all.
    other = store.create_site("other", "Other", [], {})
    with pytest.raises(InvalidInput) as caught:
        world.hooks.add(other, receiver.url, ["comment.held"], ACTOR)
    assert caught.value.code == "refused-address"
