"""Behind a trusted proxy, the per-address limits count the address the proxy forwarded.

Three limits count a client's address: new reader tokens and previews (per worker, in memory:
``rostra.services.address_limits``) and posting (moderation's rate limit per address, in the
database). Here the server trusts 127.0.0.1/32, where every test request comes from, and each
request says whose it is with ``X-Forwarded-For``; the checks:

- two forwarded addresses are counted apart, so one client's refusal holds no one else back;
- a limit lets go once its minute is over, and not a second before: the app runs on a clock the
  test moves (``create_app(clock=...)``), so no check waits for a minute or can meet the turn of
  a real one half way through;
- the header counts only from a trusted peer: from an unlisted loopback peer nothing is counted
  (a local proxy speaks for every reader, as elsewhere in Rostra), and from an unlisted public
  peer the peer's own address is, whatever the header claims.

Over real HTTP (uvicorn, as ``rostra serve`` runs it: it leaves ``X-Forwarded-For`` to Rostra),
on SQLite and PostgreSQL. Only the public peer is served in process, on a socket-less transport
that can give the request another peer address than 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

import httpx
import pytest

from rostra.app import create_app
from rostra.config import Settings, load_settings
from rostra.services.address_limits import new_reader_limiter, preview_limiter
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.repository import SqlStore
from tests.conftest import HOST_ORIGIN, IN_PROCESS_URL, SECRET, LiveServer
from tests.helpers import API, QUIET, READER, MovingClock, clocked_app
from tests.in_process import InProcess

# Two documentation addresses (RFC 5737) of two clients behind the proxy.
ALICE = "203.0.113.40"
BOB = "198.51.100.8"
# Posting's per-address limit on the site under test, below the per-reader and per-thread ones
# so that it is the one that refuses (every post also comes from a reader of its own).
POSTS_PER_MINUTE = 3
LIMITED_SITE: dict[str, Any] = {
    "moderation": {**QUIET["moderation"], "rate_limits": {"address_per_minute": POSTS_PER_MINUTE}}
}


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
def app_factory(clock: MovingClock) -> Callable[[Settings], Any]:
    return clocked_app(clock)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"trusted_proxies": ("127.0.0.1/32",)}


@dataclass(frozen=True)
class Limit:
    """One per-address limit: how a client uses it once, how many uses a minute it allows, and
    the status of an allowed use."""

    name: str
    allowed: int
    ok: int
    use: Callable[[httpx.Client, int], httpx.Response]


def _new_reader(client: httpx.Client, _n: int) -> httpx.Response:
    return client.post(f"{API}/readers")


def _preview(client: httpx.Client, n: int) -> httpx.Response:
    return client.post(f"{API}/preview", json={"body": f"Draft number {n}, nearly ready."})


# What the readers post, in turn: different remarks, each under the 50 characters from which
# the duplicates phase compares texts of different readers, so no post is held as a repeat.
REMARKS = (
    "The new bus timetable suits early shifts.",
    "I miss the fountain in the old market square.",
    "Who decided to close the pool in August?",
    "Great photos of the harvest festival!",
    "Bike lanes on Elm Street would help a lot.",
    "The school concert was lovely this year.",
    "Please fix the streetlight by the bakery.",
    "Our library cards need a better system.",
    "Thanks for covering the river clean-up.",
    "Parking near the clinic is still a mess.",
    "The mayor's answer sounded rehearsed to me.",
    "Good luck to the youth football team!",
    "Could we have more benches in the park?",
    "The recycling van skipped our road again.",
    "A lovely interview with the retired baker.",
    "Night trains would make weekends easier.",
)
# Each post comes with a reader token of its own (minted here, not through the limited
# /readers), so neither the per-reader nor the token-less bucket is what counts it.
_tokens = ReaderTokens(Signer(SECRET))
_posts = count()


def _post(client: httpx.Client, _n: int) -> httpx.Response:
    body = REMARKS[next(_posts) % len(REMARKS)]  # no test posts more than len(REMARKS) times
    token = _tokens.issue(1)  # the demo site, the first one created
    payload = {"thread": "t1", "body": body}
    return client.post(f"{API}/comments", json=payload, headers={READER: token})


POSTING = Limit("posting", POSTS_PER_MINUTE, 201, _post)
LIMITS = [
    Limit("new-reader", new_reader_limiter().per_minute, 201, _new_reader),
    Limit("preview", preview_limiter().per_minute, 200, _preview),
    POSTING,
]


@pytest.fixture(params=LIMITS, ids=[limit.name for limit in LIMITS])
def limit(request: pytest.FixtureRequest) -> Limit:
    chosen: Limit = request.param
    return chosen


def client_of(server: LiveServer, forwarded: str | None) -> httpx.Client:
    headers = {"Origin": HOST_ORIGIN}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    return server.client(headers=headers)


def statuses(client: httpx.Client, limit: Limit, times: int) -> list[int]:
    return [limit.use(client, n).status_code for n in range(times)]


def test_forwarded_addresses_are_counted_apart_until_the_minute_is_over(
    server: LiveServer, clock: MovingClock, limit: Limit
) -> None:
    server.store.update_site("demo", None, LIMITED_SITE)
    with client_of(server, ALICE) as alice, client_of(server, BOB) as bob:
        assert statuses(alice, limit, limit.allowed) == [limit.ok] * limit.allowed
        refused = limit.use(alice, limit.allowed)
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "rate-limited"
        # Another reader behind the same proxy still has a whole minute of their own.
        assert statuses(bob, limit, limit.allowed) == [limit.ok] * limit.allowed
        assert limit.use(bob, limit.allowed).status_code == 429
        clock.advance(58)  # the last second of the minute: still refused
        assert limit.use(alice, 0).status_code == 429
        clock.advance(1)  # the next minute: a fresh count for each address
        assert statuses(alice, limit, limit.allowed) == [limit.ok] * limit.allowed
        assert limit.use(alice, limit.allowed).status_code == 429
        assert limit.use(bob, 0).status_code == limit.ok


def test_posting_is_refused_with_the_seconds_left_in_the_minute(
    server: LiveServer, clock: MovingClock
) -> None:
    server.store.update_site("demo", None, LIMITED_SITE)
    with client_of(server, ALICE) as alice:
        assert statuses(alice, POSTING, POSTS_PER_MINUTE) == [201] * POSTS_PER_MINUTE
        refused = POSTING.use(alice, 0)
        assert refused.status_code == 429, refused.text
        # One second into the minute on the app's clock: 59 left, whatever the real time is.
        assert refused.headers["retry-after"] == "59"
        clock.advance(50)
        assert POSTING.use(alice, 0).headers["retry-after"] == "9"


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": ("10.0.0.0/8",)}])
def test_from_an_unlisted_loopback_peer_the_header_is_not_believed(
    server: LiveServer, limit: Limit, settings_overrides: dict[str, Any]
) -> None:
    # The peer is 127.0.0.1, not a listed proxy: its X-Forwarded-For proves nothing, and a
    # loopback peer is a local proxy speaking for every reader, so the limit counts nobody.
    server.store.update_site("demo", None, LIMITED_SITE)
    times = limit.allowed + 3
    with client_of(server, ALICE) as alice, client_of(server, None) as bare:
        assert statuses(alice, limit, times) == [limit.ok] * times
        assert statuses(bare, limit, 2) == [limit.ok] * 2


# -- a public peer that is not a listed proxy (in process: no public peer exists on loopback) ----

PUBLIC_PEER = "192.0.2.77"


@pytest.fixture
def public_peer(db_url: str, store: SqlStore, clock: MovingClock) -> Iterator[LiveServer]:
    """The app trusting 127.0.0.1/32, asked by a peer at ``PUBLIC_PEER`` (so not a proxy)."""
    store.create_site("demo", "Demo", [HOST_ORIGIN], LIMITED_SITE)
    settings = load_settings(
        env={}, database_url=db_url, secret_key=SECRET, trusted_proxies=("127.0.0.1/32",)
    )
    app = create_app(settings, clock=clock)
    with InProcess(app, client=(PUBLIC_PEER, 50_000)) as served:
        yield LiveServer(IN_PROCESS_URL, app, store, transport=served.transport)


def test_from_an_unlisted_public_peer_the_peer_is_counted(
    public_peer: LiveServer, clock: MovingClock, limit: Limit
) -> None:
    # Each request claims another client; all of them are the one peer that sent them.
    answers = []
    for n in range(limit.allowed + 1):
        with client_of(public_peer, f"203.0.113.{n + 1}") as client:
            answers.append(limit.use(client, n).status_code)
    assert answers == [limit.ok] * limit.allowed + [429]
    with client_of(public_peer, None) as plain:
        assert limit.use(plain, 0).status_code == 429
        clock.advance(59)
        assert limit.use(plain, 0).status_code == limit.ok
