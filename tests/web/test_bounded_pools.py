"""Service calls run in bounded pools: writes at most ``write_slots`` at a time per worker, and a
bounded number of database connections.

README.md ("How it is built"): "every service call that may wait on I/O runs off the event loop
in a bounded thread pool; cached reads stay on it (docs/adr/0006)". ADR 0006: "Writes have their
own, smaller bound: ``off_loop_write`` lets at most ``write_slots`` writing service calls of a
worker run at once (1 on SQLite ...; 4 on PostgreSQL)". Here eight comments are posted at once to
a uvicorn worker on a real port, on SQLite and PostgreSQL, while the site's classifier (a plug-in
named by dotted path, run inside the write) holds every comment it is given until the test lets
go: exactly ``write_slots`` of them reach it, the others wait on the worker's write limiter, and
when they are let go all eight are published. The database connection pool behind those calls
is bounded too (the README gives no figure: the test pins the code's 8 + 8 on PostgreSQL).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from rostra.storage.database import create_engines
from tests.conftest import HOST_ORIGIN, LiveServer

API = "/api/v1/sites/demo"
POSTS = 8
#: How long the test waits for a condition before it fails (never a sleep that must elapse).
WITHIN = 30.0


class Gate:
    """What the plug-in classifiers of this module share: how many are scoring now, the most
    at once, and the event that lets them answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.most = 0
        self.release = threading.Event()

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1


GATE = Gate()


class GatedClassifier:
    """Scores every comment civil, once the test lets it (``GATE.release``)."""

    name = "gated"
    threshold = 0.5

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        GATE.enter()
        try:
            assert GATE.release.wait(WITHIN), "the test never let the classifier answer"
            return dict.fromkeys(
                ("toxicity", "insult", "identity_attack", "threat", "sexual", "profanity"), 0.01
            )
        finally:
            GATE.leave()


GATED = {
    "moderation": {
        "toxicity": {"classifier": f"{__name__}:GatedClassifier"},
        "rate_limits": {"enabled": False},
        "duplicates": {"enabled": False},
    }
}


@pytest.fixture
def gate() -> Iterator[Gate]:
    global GATE
    GATE = Gate()
    yield GATE
    GATE.release.set()


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not condition():
        assert time.monotonic() < deadline, f"waited {WITHIN} s for {what}"
        threading.Event().wait(0.01)


def test_at_most_write_slots_writes_run_at_once(server: LiveServer, gate: Gate) -> None:
    server.store.update_site("demo", [HOST_ORIGIN], GATED)
    ctx = server.app.app.ctx
    slots = ctx.write_slots
    assert slots == (1 if server.store.engines.is_sqlite else 4)

    def post(number: int) -> httpx.Response:
        with server.client(headers={"Origin": HOST_ORIGIN}) as client:
            body = {"thread": "busy-article", "body": f"Comment number {number} on the works."}
            return client.post(f"{API}/comments", json=body)

    with ThreadPoolExecutor(POSTS) as pool:
        answers = [pool.submit(post, n) for n in range(POSTS)]
        wait_for(lambda: gate.active == slots, f"{slots} comments in the classifier")
        wait_for(
            lambda: (
                ctx.write_limiter is not None
                and ctx.write_limiter.statistics().tasks_waiting == POSTS - slots
            ),
            f"{POSTS - slots} writes waiting for a slot",
        )
        # Every post has arrived: those not in a slot wait for one, none is in the classifier.
        assert gate.active == gate.most == slots
        gate.release.set()
        statuses = [a.result(timeout=WITHIN).status_code for a in answers]
    assert statuses == [201] * POSTS
    assert gate.most == slots


def test_the_database_connection_pool_is_bounded(db_url: str) -> None:
    engines = create_engines(db_url)
    try:
        if engines.is_sqlite:
            pytest.skip("SQLite: one writer at a time, under the writer lock (ADR 0003)")
        pool: Any = engines.write.pool
        assert engines.read is engines.write
        assert (pool.size(), pool._max_overflow) == (8, 8)
    finally:
        engines.dispose()
