"""A slow classifier or a slow query in one request does not stall the others on its worker.

The server is one uvicorn worker (one event loop) on a real port. One request is held up on
purpose -- by the site's external classifier, which answers only when the test lets it, or by a
table lock another connection holds -- and while it waits, the same worker must answer a health
check, a thread read that misses the cache (a database read), a preview and a reader-token
request. If any service call ran on the event loop, those answers would wait for the held one,
and the test would fail on their timeout; the held request only finishes once they are all in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import HOST_ORIGIN, LiveServer

API = "/api/v1/sites/demo"
SECRET = "s" * 24
#: How long the other requests may take. A stalled loop would hold them until the test ends.
ANSWER_WITHIN = 5.0
QUIET: dict[str, Any] = {"toxicity": {"enabled": False}, "rate_limits": {"enabled": False}}


class SlowClassifier:
    """An external classifier on a real port that answers only once ``release`` is set."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("content-length", "0")))
                outer.asked.set()
                outer.release.wait(30)
                # Unsigned: the phase holds the comment, which is all this test needs.
                self.send_response(500)
                self.send_header("content-length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/classify"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Every request reads the site afresh (a service call), so a settings change applies at
    once and the site lookup itself is among the calls that must not stall."""
    return {"site_cache_seconds": 0}


@pytest.fixture
def classifier() -> Iterator[SlowClassifier]:
    slow = SlowClassifier()
    yield slow
    slow.close()


def _another_thread(server: LiveServer) -> None:
    """A thread with one comment, posted before any request is held up."""
    server.store.update_site("demo", [HOST_ORIGIN], {"moderation": QUIET})
    with server.client(headers={"Origin": HOST_ORIGIN}) as client:
        body = {"thread": "another-article", "body": "First!"}
        assert client.post(f"{API}/comments", json=body).status_code == 201


def _others_are_answered(server: LiveServer, held: Future[httpx.Response]) -> None:
    """While ``held`` waits, the worker answers reads, a preview and a new reader token."""
    with httpx.Client(
        base_url=server.url, headers={"Origin": HOST_ORIGIN}, timeout=ANSWER_WITHIN
    ) as client:
        assert client.get("/healthz").text == "ok"
        read = client.get(f"{API}/comments", params={"thread": "another-article"})
        assert read.status_code == 200 and len(read.json()["comments"]) == 1
        preview = client.post(f"{API}/preview", json={"body": "Still *here*."})
        assert preview.status_code == 200 and "<em>here</em>" in preview.json()["html"]
        assert client.post(f"{API}/readers").status_code == 201
    assert not held.done()  # they were answered while it was still waiting


def test_a_slow_classifier_does_not_stall_other_requests(
    server: LiveServer, classifier: SlowClassifier
) -> None:
    _another_thread(server)
    external = {"url": classifier.url, "secret": SECRET, "timeout_seconds": 10}
    server.store.update_site("demo", [HOST_ORIGIN], {"moderation": {**QUIET, "external": external}})
    with ThreadPoolExecutor(1) as pool, server.client(headers={"Origin": HOST_ORIGIN}) as poster:
        held = pool.submit(
            poster.post, f"{API}/comments", json={"thread": "t1", "body": "Is anyone there?"}
        )
        assert classifier.asked.wait(10), "the comment never reached the classifier"
        _others_are_answered(server, held)
        classifier.release.set()
        answer = held.result(timeout=20)
    # The classifier's answer was not signed: held for review, and stored.
    assert answer.status_code == 202, answer.text
    assert answer.json()["comment"]["status"] == "pending"


def test_a_slow_query_does_not_stall_other_requests(server: LiveServer, db_url: str) -> None:
    """PostgreSQL: another connection locks the comments table against writes (reads go on)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's writer lock shows no waiting query to wait on; PostgreSQL's does")
    _another_thread(server)
    engine = create_engine(db_url)
    try:
        with engine.connect() as locker:
            locker.execute(text("LOCK TABLE comments IN EXCLUSIVE MODE"))
            with (
                ThreadPoolExecutor(1) as pool,
                server.client(headers={"Origin": HOST_ORIGIN}) as poster,
            ):
                held = pool.submit(
                    poster.post, f"{API}/comments", json={"thread": "t1", "body": "Queued."}
                )
                _wait_for_a_blocked_query(locker, held)
                _others_are_answered(server, held)
                locker.rollback()  # lifts the lock: the comment goes in
                answer = held.result(timeout=20)
        assert answer.status_code == 201, answer.text
    finally:
        engine.dispose()


def _wait_for_a_blocked_query(locker: Any, held: Future[httpx.Response]) -> None:
    """Until some other session of this database waits on a lock (the held post)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    done = threading.Event()
    for _ in range(2000):
        if locker.execute(waiting).scalar():
            return
        assert not held.done(), held.result().text
        done.wait(0.005)  # polling a condition, with a bound, not sleeping a fixed time
    raise AssertionError("the post never waited on the lock")
