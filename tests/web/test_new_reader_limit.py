"""New reader tokens are limited per client address, so a script cannot give every comment a
fresh token (and so a fresh per-reader bucket); readers behind other addresses are not held back.
Behind a trusted proxy, on SQLite and PostgreSQL; over real HTTP, as ``rostra serve`` runs
uvicorn, since which ``X-Forwarded-For`` counts is decided there too.

The app counts minutes on a clock the test holds still (see ``MovingClock``): on the wall clock,
a minute that turned between the tenth token and the eleventh would let the eleventh through.
tests/web/test_proxy_address_limits.py checks the same limit with the other per-address ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rostra.config import Settings
from rostra.services.address_limits import new_reader_limiter
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import MovingClock, clocked_app

READERS = "/api/v1/sites/demo/readers"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"trusted_proxies": ("127.0.0.1",)}


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
def app_factory(clock: MovingClock) -> Callable[[Settings], Any]:
    return clocked_app(clock)


def _new_reader(server: LiveServer, address: str) -> int:
    with server.client(headers={"Origin": HOST_ORIGIN, "X-Forwarded-For": address}) as client:
        return client.post(READERS).status_code


def test_one_address_gets_a_few_tokens_a_minute(server: LiveServer, clock: MovingClock) -> None:
    allowed = new_reader_limiter().per_minute
    answers = [_new_reader(server, "203.0.113.40") for _ in range(allowed + 2)]
    assert answers == [201] * allowed + [429, 429]
    with server.client(
        headers={"Origin": HOST_ORIGIN, "X-Forwarded-For": "203.0.113.40"}
    ) as client:
        refused = client.post(READERS)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate-limited"
    assert _new_reader(server, "198.51.100.8") == 201  # another reader is not held back
    clock.advance(60)  # the next minute: the address may ask again
    assert _new_reader(server, "203.0.113.40") == 201
