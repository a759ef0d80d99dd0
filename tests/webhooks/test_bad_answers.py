"""Issue 10's webhook "bad input" beyond tests/webhooks/test_delivery.py, on SQLite and
PostgreSQL, with real receivers on loopback: every kind of redirect (to another receiver or to
the cloud metadata address) is not followed; an answer whose head or body drips a byte at a
time ends at the one deadline; endless headers and a body with no length and no end are cut;
each is a logged failure the job retries, never a hang or a crash. And names that are loopback
or private in disguise (decimal, hex and short IPv4 forms, ``localhost``, the unspecified,
shared, link-local, unique-local and multicast ranges) are refused when the site does not allow
private addresses, at registration and at delivery."""

from __future__ import annotations

import pytest

from rostra.domain.errors import InvalidInput
from rostra.services.webhooks import Webhooks
from rostra.storage.repository import SqlStore
from rostra.storage.webhooks import SqlWebhookStore
from tests.webhooks.raw_receiver import (
    Answer,
    dripped_body,
    dripped_headers,
    endless_body,
    endless_headers,
    raw_receiving,
)
from tests.webhooks.receiver import Behaviour, receiving
from tests.webhooks.test_delivery import ACTOR, World


@pytest.mark.parametrize("status", [301, 303, 307, 308])
@pytest.mark.parametrize("where", ["another receiver", "metadata"])
def test_no_redirect_is_followed(store: SqlStore, status: int, where: str) -> None:
    world = World(store, timeout_seconds=2.0)
    with receiving() as elsewhere, receiving() as receiver:
        target = elsewhere.url if where != "metadata" else "http://169.254.169.254/latest/meta-data"
        receiver.behaviour = Behaviour(statuses=[status], location=target)
        world.endpoint(receiver.url)
        world.post()
        assert world.run() == 1
    assert len(receiver.received) == 1 and elsewhere.received == []
    assert world.log() == [(False, status, "redirect not followed")]
    assert world.states() == ["queued"]


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (dripped_headers, "timed out"),
        (dripped_body, "timed out"),
        (endless_body, "answer too large"),
    ],
)
def test_an_answer_that_drips_or_never_ends_is_cut(
    store: SqlStore, answer: Answer, outcome: str
) -> None:
    world = World(store, timeout_seconds=1.0, max_response_bytes=4096)
    with raw_receiving(answer) as receiver:
        world.endpoint(receiver.url)
        world.post()
        assert world.run() == 1
        assert receiver.requests == 1
    [(ok, _, said)] = world.log()
    assert not ok and said == outcome
    assert world.states() == ["queued"]


def test_endless_headers_are_a_failure_not_a_crash(store: SqlStore) -> None:
    world = World(store, timeout_seconds=2.0)
    with raw_receiving(endless_headers) as receiver:
        world.endpoint(receiver.url)
        world.post()
        assert world.run() == 1
    [(ok, status, said)] = world.log()
    assert (ok, status) == (False, None) and said == "unreachable (HTTPException)"
    assert world.states() == ["queued"]


DISGUISED = [
    "http://localhost/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one decimal number
    "http://0x7f000001/hook",  # ... in hex
    "http://127.1/hook",  # ... shortened
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://224.0.0.1/hook",
    "http://192.168.0.10/hook",
    "http://172.16.0.1/hook",
]


@pytest.mark.parametrize("url", DISGUISED)
def test_a_disguised_private_address_is_refused_at_registration(store: SqlStore, url: str) -> None:
    site = store.create_site("news", "News", [], {})
    strict = Webhooks(SqlWebhookStore(store.engines))
    with pytest.raises(InvalidInput) as caught:
        strict.add(site, url, ["comment.published"], ACTOR)
    assert caught.value.code == "refused-address", url
    assert strict.endpoints(site) == []


def test_a_disguised_loopback_receiver_is_refused_at_delivery(store: SqlStore) -> None:
    strict = World(store, timeout_seconds=2.0, allow_private=False)
    with receiving() as receiver:
        for host in ("localhost", "2130706433", "127.1"):
            # Registered while allowed: delivery checks again with the system's resolver.
            strict.endpoint(f"http://{host}:{receiver.port}/hook")
        strict.post()
        assert strict.run() == 3
    assert receiver.received == []
    assert strict.log() == [(False, None, "refused address")] * 3
