"""The runner on SQLite and PostgreSQL, with a clock the tests move (no sleeps): jobs run once
and are done; failures come back after an exponential, jittered, capped backoff and go dead
after the last attempt (or at once when the handler gives up); a dead job retried runs; a lease
that runs out (a worker killed) makes the job another worker's, and the first one cannot then
mark it; a stopping runner finishes the job under way and gives back the rest; the lease of a
slow batch is renewed; old done jobs are purged; and the async loop runs batches off the event
loop, which keeps turning while a handler blocks."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rostra.jobs.queue import Claim, Job, JobState
from rostra.jobs.registry import GiveUp, JobHandlers
from rostra.jobs.retry import RetryPolicy
from rostra.jobs.runner import Runner, RunnerSettings
from rostra.services.ports import NewJob
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.repository import SqlStore
from rostra.storage.tables import jobs
from tests.helpers import run_coroutine

START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
LEASE = 60


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Record:
    """A handler that notes every run (job id, attempt), failing while ``failures`` says so."""

    def __init__(self, failures: Callable[[Job], BaseException | None] = lambda _job: None):
        self.runs: list[tuple[int, int]] = []
        self.failures = failures

    def __call__(self, job: Job) -> None:
        self.runs.append((job.id, job.attempt))
        problem = self.failures(job)
        if problem is not None:
            raise problem


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(store: SqlStore) -> SqlJobQueue:
    return SqlJobQueue(store.engines)


def enqueue(store: SqlStore, n: int, kind: str = "test.record", at: datetime = START) -> None:
    with store.write() as tx:
        for i in range(n):
            tx.enqueue(NewJob(kind, {"n": i}, f"{kind}:{i}"), at)


def runner(
    queue: SqlJobQueue,
    handler: Callable[[Job], None],
    clock: Clock,
    *,
    retry: RetryPolicy | None = None,
    batch: int = 20,
    worker: str = "w1",
    rng: random.Random | None = None,
) -> Runner:
    handlers = JobHandlers()
    handlers.register("test.record", handler)
    settings = RunnerSettings(batch_size=batch, lease_seconds=LEASE, retry=retry or RetryPolicy())
    rng = rng or random.Random(7)
    return Runner(queue, handlers, settings, clock=clock, rng=rng, worker=worker)


def states(queue: SqlJobQueue) -> dict[int, tuple[JobState, int]]:
    return {r.id: (r.state, r.attempts) for r in queue.list_jobs(None, 1000)}


def test_due_jobs_run_once_each_and_are_done(
    store: SqlStore, queue: SqlJobQueue, clock: Clock
) -> None:
    enqueue(store, 5)
    with store.write() as tx:  # one not due for an hour
        tx.enqueue(NewJob("test.record", {}, "later", START + timedelta(hours=1)), START)
    record = Record()
    work = runner(queue, record, clock, batch=2)
    assert [work.run_batch() for _ in range(4)] == [2, 2, 1, 0]
    assert sorted(job for job, _ in record.runs) == sorted(
        r.id for r in queue.list_jobs(JobState.DONE, 10)
    )
    assert len(record.runs) == 5 and {attempt for _, attempt in record.runs} == {1}
    clock.advance(hours=1)
    assert work.run_batch() == 1
    assert {state for state, _ in states(queue).values()} == {JobState.DONE}
    done = queue.list_jobs(JobState.DONE, 10)
    assert all(r.finished_at is not None and r.last_error is None for r in done)


def test_a_failure_comes_back_after_a_growing_jittered_capped_backoff(
    store: SqlStore, queue: SqlJobQueue, clock: Clock
) -> None:
    policy = RetryPolicy(base_seconds=10, max_seconds=25, max_attempts=5)
    enqueue(store, 6)
    record = Record(lambda job: RuntimeError("refused") if job.attempt <= 3 else None)
    work = runner(queue, record, clock, retry=policy, rng=random.Random())
    for attempt, ceiling in ((1, 10), (2, 20), (3, 25)):  # base * 2**(n-1), capped at 25
        assert work.run_batch() == 6
        waiting = queue.list_jobs(JobState.QUEUED, 10)
        assert len(waiting) == 6 and all(r.attempts == attempt for r in waiting)
        delays = [(r.run_after - clock.now).total_seconds() for r in waiting]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempt, delays)
        # Jitter: six jobs that failed together do not all come back in the same second.
        assert len({round(d, 3) for d in delays}) > 1
        assert {r.last_error for r in waiting} == {"RuntimeError"}
        # Nothing is due before the earliest of them.
        clock.advance(seconds=min(delays) - 0.001)
        assert work.run_batch() == 0
        clock.advance(seconds=max(delays) - min(delays) + 0.001)
    assert work.run_batch() == 6
    assert set(states(queue).values()) == {(JobState.DONE, 4)}
    assert len(record.runs) == 24


def test_a_job_failing_every_time_is_dead_after_the_last_attempt_and_retried_from_dead(
    store: SqlStore, queue: SqlJobQueue, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    address = "reader@news.example"
    broken = {"yes": True}
    enqueue(store, 1)
    record = Record(
        lambda _job: (
            ConnectionError(f"550 <{address}> mailbox unavailable") if broken["yes"] else None
        )
    )
    work = runner(queue, record, clock, retry=RetryPolicy(1, 1, max_attempts=3))
    with caplog.at_level(logging.WARNING, logger="rostra.jobs"):
        for _ in range(3):
            assert work.run_batch() == 1
            clock.advance(seconds=2)
    assert work.run_batch() == 0
    [dead] = queue.list_jobs(JobState.DEAD, 10)
    assert dead.attempts == 3 and dead.finished_at == clock.now - timedelta(seconds=2)
    # What is recorded and logged of the failure names its kind, never what it said.
    assert dead.last_error == "ConnectionError"
    assert "dead" in caplog.text and address not in caplog.text
    # An admin retries it once the SMTP server is back: it runs, from attempt 1.
    broken["yes"] = False
    assert queue.retry(dead.id, clock.now) is True
    assert queue.retry(dead.id, clock.now) is False  # queued and due: nothing to do
    assert work.run_batch() == 1
    assert states(queue) == {dead.id: (JobState.DONE, 1)}
    assert queue.retry(dead.id, clock.now) is False  # done jobs are not run again
    assert record.runs[-1] == (dead.id, 1)


def test_a_handler_that_gives_up_sends_the_job_to_the_dead_letters_at_once(
    store: SqlStore, queue: SqlJobQueue, clock: Clock
) -> None:
    enqueue(store, 2)
    record = Record(lambda job: GiveUp("payload names no comment") if job.payload["n"] else None)
    assert runner(queue, record, clock).run_batch() == 2
    [dead] = queue.list_jobs(JobState.DEAD, 10)
    assert (dead.attempts, dead.last_error) == (1, "payload names no comment")
    assert len(queue.list_jobs(JobState.DONE, 10)) == 1


def test_a_kind_without_handler_is_retried_then_dead(
    store: SqlStore, queue: SqlJobQueue, clock: Clock
) -> None:
    enqueue(store, 1, kind="plugin.missing")
    work = runner(queue, Record(), clock, retry=RetryPolicy(1, 1, max_attempts=2))
    assert work.run_batch() == 1
    [waiting] = queue.list_jobs(JobState.QUEUED, 10)
    assert waiting.last_error == "no handler for kind plugin.missing"
    clock.advance(seconds=2)
    assert work.run_batch() == 1
    assert [r.state for r in queue.list_jobs(None, 10)] == [JobState.DEAD]


def test_an_expired_lease_makes_the_job_claimable_and_the_first_worker_cannot_mark_it(
    store: SqlStore, queue: SqlJobQueue, clock: Clock
) -> None:
    enqueue(store, 3)
    # Worker A claims the batch, then is killed: it never marks anything.
    held = queue.claim(Claim("A", clock.now, 10, LEASE, 5))
    assert len(held) == 3
    record = Record()
    b = runner(queue, record, clock, worker="B")
    clock.advance(seconds=LEASE - 1)
    assert b.run_batch() == 0 and record.runs == []  # A's lease holds
    clock.advance(seconds=2)
    assert b.run_batch() == 3
    assert sorted(record.runs) == sorted((job.id, 2) for job in held)
    # A's late word on its old claim changes nothing.
    assert queue.complete(held[0], "A", clock.now) is False
    assert queue.fail(held[1], "A", clock.now, "late", None) is False
    assert set(states(queue).values()) == {(JobState.DONE, 2)}


def test_a_job_whose_worker_died_on_every_attempt_goes_dead(
    store: SqlStore, queue: SqlJobQueue, clock: Clock
) -> None:
    enqueue(store, 1)
    for attempt in range(1, 4):
        [job] = queue.claim(Claim(f"killed-{attempt}", clock.now, 10, LEASE, 3))
        assert job.attempt == attempt
        clock.advance(seconds=LEASE + 1)
    assert queue.claim(Claim("next", clock.now, 10, LEASE, 3)) == []
    [dead] = queue.list_jobs(JobState.DEAD, 10)
    assert (dead.attempts, dead.last_error) == (3, "lease expired")


def test_a_stopping_runner_finishes_the_job_under_way_and_gives_back_the_rest(
    store: SqlStore, queue: SqlJobQueue, clock: Clock
) -> None:
    enqueue(store, 5)
    work: Runner

    def stop_during_second(job: Job) -> BaseException | None:
        if len(record.runs) == 2:
            work.stop()  # SIGTERM arrives while the second job runs
        return None

    record = Record(stop_during_second)
    work = runner(queue, record, clock)
    assert work.run_batch() == 2
    found = states(queue)
    done = [i for i, (state, _) in found.items() if state is JobState.DONE]
    assert sorted(done) == sorted(job for job, _ in record.runs)
    # The three not started are queued again, their claim not counted, due now.
    assert sorted(v for i, v in found.items() if i not in done) == [(JobState.QUEUED, 0)] * 3
    assert len(queue.claim(Claim("other", clock.now, 10, LEASE, 5))) == 3


def test_the_lease_of_a_slow_batch_is_renewed_so_no_one_takes_its_jobs(
    store: SqlStore, queue: SqlJobQueue, clock: Clock
) -> None:
    enqueue(store, 3)
    taken: list[Job] = []

    def slow(_job: Job) -> BaseException | None:
        clock.advance(seconds=LEASE * 0.6)  # each job takes 60% of the lease
        taken.extend(queue.claim(Claim("B", clock.now, 10, LEASE, 5)))
        return None

    record = Record(slow)
    assert runner(queue, record, clock, worker="A").run_batch() == 3
    # The third job started at 120% of the first lease: renewed, B never got it.
    assert taken == []
    assert set(states(queue).values()) == {(JobState.DONE, 1)}


def test_old_done_jobs_are_purged_and_the_others_kept(
    store: SqlStore, queue: SqlJobQueue, clock: Clock
) -> None:
    enqueue(store, 4)
    work = runner(queue, Record(), clock, batch=2)
    assert work.run_batch() == 2
    clock.advance(days=8)
    assert work.run_batch() == 2  # done 8 days after the first two
    with store.write() as tx:
        tx.enqueue(NewJob("test.record", {}, "waiting", clock.now + timedelta(days=1)), clock.now)
    assert work.purge() == 2
    assert work.purge() == 0  # at most once an hour
    left = queue.list_jobs(None, 10)
    assert sorted(r.state for r in left) == [JobState.DONE, JobState.DONE, JobState.QUEUED]
    # A purged key can be enqueued again; a kept one cannot.
    with store.write() as tx:
        assert tx.enqueue(NewJob("test.record", {}, "waiting"), clock.now) is False
    with store.engines.read.connect() as conn:
        keys = set(conn.execute(select(jobs.c.idempotency_key)).scalars())
    assert len(keys) == 3


def test_the_loop_runs_batches_off_the_event_loop_and_stops_when_told(
    store: SqlStore, queue: SqlJobQueue
) -> None:
    release = threading.Event()
    started = threading.Event()

    def blocking(job: Job) -> None:
        started.set()
        assert release.wait(30), "never released"

    handlers = JobHandlers()
    handlers.register("test.record", blocking)
    # A real clock, a poll long enough that only wake() explains a prompt start.
    work = Runner(queue, handlers, RunnerSettings(poll_seconds=600))

    async def scenario() -> int:
        task = asyncio.create_task(work.run())
        while work._wake is None:  # the loop has started and waits for work
            await asyncio.sleep(0)
        enqueue(store, 1, at=datetime.now(UTC) - timedelta(seconds=1))
        work.wake()
        while not started.is_set():
            await asyncio.sleep(0.01)
        # The handler blocks its thread; the event loop keeps turning meanwhile.
        ticks = 0
        for _ in range(20):
            await asyncio.sleep(0)
            ticks += 1
        release.set()
        while not queue.list_jobs(JobState.DONE, 10):
            await asyncio.sleep(0.01)
        work.stop()
        await asyncio.wait_for(task, 30)
        return ticks

    assert run_coroutine(scenario) == 20
    assert work.stopping


def test_the_loop_survives_a_database_that_refuses_it(
    store: SqlStore, queue: SqlJobQueue, caplog: pytest.LogCaptureFixture
) -> None:
    calls = {"n": 0}

    class Refusing(SqlJobQueue):
        def has_due(self, now: datetime) -> bool:
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError("database gone")
            return super().has_due(now)

    work = Runner(Refusing(store.engines), JobHandlers(), RunnerSettings(poll_seconds=0.01))

    async def scenario() -> None:
        task = asyncio.create_task(work.run())
        while calls["n"] < 3:
            await asyncio.sleep(0.01)
        work.stop()
        await asyncio.wait_for(task, 30)

    with caplog.at_level(logging.ERROR, logger="rostra.jobs"):
        run_coroutine(scenario)
    assert "claiming failed" in caplog.text and calls["n"] >= 3
