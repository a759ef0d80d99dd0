"""A server's runner gives way to its requests: a batch waits for a moment with none in flight,
and runs anyway once it has waited ``yield_seconds``; ``rostra worker``'s runner (no ``busy``
probe) never waits. The edge counts the requests in flight that the probe reads.

No sleeps: the tests wait on conditions (the probe asked, the job done).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from rostra.config import ConfigError, load_settings
from rostra.jobs.queue import JobState
from rostra.jobs.registry import JobHandlers
from rostra.jobs.runner import Runner, RunnerSettings, runner_settings
from rostra.services.ports import NewJob
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.repository import SqlStore
from rostra.web.edge import EdgeGuard
from rostra.web.in_flight import QUIET_SECONDS, InFlight
from tests.helpers import run_coroutine

NOW = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
WAIT = 30  # generous for a loaded machine; never reached when the tests pass


class Busy:
    """A ``busy`` probe the test switches; counts how often the runner asked."""

    def __init__(self, busy: bool) -> None:
        self.busy = busy
        self.asked = 0
        self.changed = threading.Condition()

    def __call__(self) -> bool:
        with self.changed:
            self.asked += 1
            self.changed.notify_all()
        return self.busy

    def wait_asked(self, times: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.asked >= times, timeout=WAIT)


def one_job(store: SqlStore) -> None:
    with store.write() as tx:
        tx.enqueue(NewJob("test.yield", {}, "test.yield:1"), NOW)


def runner_with(store: SqlStore, ran: threading.Event, busy: Busy | None, limit: float) -> Runner:
    handlers = JobHandlers()
    handlers.register("test.yield", lambda _job: ran.set())
    settings = RunnerSettings(yield_seconds=limit)
    return Runner(SqlJobQueue(store.engines), handlers, settings, clock=lambda: NOW, busy=busy)


@pytest.fixture
def batch_thread() -> Iterator[list[threading.Thread]]:
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=WAIT)


def test_a_batch_waits_while_requests_are_in_flight_and_runs_in_the_first_gap(
    store: SqlStore, batch_thread: list[threading.Thread]
) -> None:
    one_job(store)
    ran = threading.Event()
    busy = Busy(True)
    runner = runner_with(store, ran, busy, limit=600)  # far longer than the test
    thread = threading.Thread(target=runner.run_batch, daemon=True)
    batch_thread.append(thread)
    thread.start()
    busy.wait_asked(3)  # it has looked three times and found the process busy each time
    assert not ran.is_set()
    assert [j.state for j in SqlJobQueue(store.engines).list_jobs(None, 10)] == [JobState.QUEUED]
    busy.busy = False  # the gap
    assert ran.wait(WAIT)
    thread.join(timeout=WAIT)
    assert [j.state for j in SqlJobQueue(store.engines).list_jobs(None, 10)] == [JobState.DONE]


def test_a_process_that_is_never_idle_still_runs_its_jobs(store: SqlStore) -> None:
    one_job(store)
    ran = threading.Event()
    busy = Busy(True)
    assert runner_with(store, ran, busy, limit=0.05).run_batch() == 1
    assert ran.is_set() and busy.asked >= 1


def test_a_batch_that_found_no_quiet_moment_is_a_quarter_of_the_batch(store: SqlStore) -> None:
    with store.write() as tx:
        for n in range(40):
            tx.enqueue(NewJob("test.yield", {}, f"test.yield:many:{n}"), NOW)
    ran = threading.Event()
    handlers = JobHandlers()
    handlers.register("test.yield", lambda _job: ran.set())
    queue = SqlJobQueue(store.engines)

    def runner(busy: Busy) -> Runner:
        settings = RunnerSettings(batch_size=20, yield_seconds=0.05)
        return Runner(queue, handlers, settings, clock=lambda: NOW, busy=busy)

    # The readers never pause: the batch runs after its wait, with 5 of its 20 jobs.
    assert runner(Busy(True)).run_batch() == 5
    # A quiet moment: the whole batch.
    assert runner(Busy(False)).run_batch() == 20
    assert len(queue.list_jobs(JobState.DONE, 100)) == 25


def test_without_a_probe_or_with_no_yield_a_batch_never_waits(store: SqlStore) -> None:
    one_job(store)
    ran = threading.Event()
    assert runner_with(store, ran, None, limit=600).run_batch() == 1  # rostra worker
    with store.write() as tx:
        tx.enqueue(NewJob("test.yield", {}, "test.yield:2"), NOW)
    busy = Busy(True)
    assert runner_with(store, ran, busy, limit=0).run_batch() == 1  # jobs_yield_ms = 0
    assert busy.asked == 0


def test_jobs_yield_ms_is_the_runners_limit_and_is_checked() -> None:
    settings = load_settings(env={"ROSTRA_JOBS_YIELD_MS": "250"}, secret_key="k" * 40)
    assert runner_settings(settings).yield_seconds == 0.25
    assert runner_settings(load_settings(env={}, secret_key="k" * 40)).yield_seconds == 1.0
    for bad in (-1, 60_001):
        with pytest.raises(ConfigError, match="jobs_yield_ms must be between 0 and 60000"):
            load_settings(env={}, secret_key="k" * 40, jobs_yield_ms=bad)


@pytest.mark.in_process
def test_the_edge_counts_each_request_while_it_runs() -> None:
    in_flight = InFlight()
    seen: list[int] = []

    async def app(scope: object, receive: object, send: object) -> None:
        seen.append(in_flight.count)
        if "fail" in str(scope["path"]):  # type: ignore[index]
            raise RuntimeError("a handler that fails")
        await send({"type": "http.response.start", "status": 204, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    settings = load_settings(env={}, secret_key="k" * 40)
    edge = EdgeGuard(app, settings, in_flight)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=edge)

    async def requests() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
            assert (await c.get("/ok")).status_code == 204
            with pytest.raises(RuntimeError):
                await c.get("/fail")

    run_coroutine(requests)
    assert seen == [1, 1]
    assert in_flight.count == 0 and in_flight.last_end > 0
    # Busy for a moment after the last request ended, then quiet.
    in_flight.last_end = time.monotonic() - QUIET_SECONDS
    assert not in_flight.busy()
    in_flight.last_end = time.monotonic()
    assert in_flight.busy()
