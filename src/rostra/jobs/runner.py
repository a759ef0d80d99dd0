"""The runner: claims due jobs in batches, runs each kind's handler, records the outcome.

One batch at a time: ``run_batch`` claims up to ``batch_size`` due jobs under a lease, runs
them one after another and marks each done, queued again for later (exponential backoff with
jitter, ``rostra.jobs.retry``) or dead. Before each job it renews the lease of what is left when
half of it has gone, so a slow batch is not taken over by another worker; a job whose lease was
lost anyway is skipped, for the worker that took it. ``stop`` lets the job under way finish,
gives back the rest of the batch and ends ``run``.

``run`` is the loop ``rostra serve`` (in each server process) and ``rostra worker`` drive: every
batch runs in a worker thread, so the event loop never waits on the database or a handler;
between batches it waits for ``poll_seconds`` or for ``wake``. Time comes from ``clock``, so a
test moves it instead of sleeping. A server's runner is given a ``busy`` probe (its requests in
flight) and lets each batch wait up to ``yield_seconds`` for a moment with none, so background
work does not slow the readers it shares the machine with; a batch that found none is smaller.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rostra.config import Settings
from rostra.domain.clock import utc_now
from rostra.jobs.queue import Claim, Job, JobQueue
from rostra.jobs.registry import GiveUp, JobFailed, JobHandlers, error_of
from rostra.jobs.retry import RetryPolicy

_LOG = logging.getLogger("rostra.jobs")
_PURGE_EVERY = timedelta(hours=1)
_PURGE_CHUNK = 1000
_GAP_CHECK_SECONDS = 0.01  # how often a waiting batch looks for a moment with no request
#: A batch that runs without having found a quiet moment (the readers never paused for
#: ``yield_seconds``) claims this share of ``batch_size`` (at least one job): the queue still
#: moves under a flood, at a quarter of the pace, and the rest waits for the first pause.
#: Measured: at 20 jobs a second per worker the flood's mails took about 5 % of two cores.
FORCED_BATCH_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    batch_size: int = 20
    lease_seconds: int = 300
    poll_seconds: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Done jobs are kept this long (their idempotency keys still refuse a repeat), then purged.
    keep_done: timedelta = timedelta(days=7)
    # With a ``busy`` probe (a server's own runner): how long a batch waits for a moment with no
    # request in flight before it runs anyway. 0: never waits.
    yield_seconds: float = 1.0


def runner_settings(settings: Settings) -> RunnerSettings:
    """The runner's settings from Rostra's (``jobs_*``; ``rostra serve`` and ``rostra worker``)."""
    return RunnerSettings(
        batch_size=settings.jobs_batch_size,
        lease_seconds=settings.jobs_lease_seconds,
        poll_seconds=settings.jobs_poll_ms / 1000,
        retry=RetryPolicy(
            base_seconds=settings.jobs_backoff_seconds,
            max_seconds=settings.jobs_backoff_max_seconds,
            max_attempts=settings.jobs_max_attempts,
        ),
        keep_done=timedelta(days=settings.jobs_keep_done_days),
        yield_seconds=settings.jobs_yield_ms / 1000,
    )


def worker_name() -> str:
    """Unique per runner: host, process and a random tail (a restarted pid is another worker)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class Runner:
    def __init__(
        self,
        queue: JobQueue,
        handlers: JobHandlers,
        settings: RunnerSettings | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        worker: str | None = None,
        busy: Callable[[], bool] | None = None,
    ) -> None:
        self.queue = queue
        # Whether the process is answering requests now (rostra serve's runner): background work
        # gives way to readers, see ``_wait_for_a_gap``. None (rostra worker): never waits.
        self.busy = busy
        self.handlers = handlers
        self.settings = settings or RunnerSettings()
        self.clock = clock
        self.rng = rng or random.Random()
        self.worker = worker or worker_name()
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._purged_at: datetime | None = None

    # -- one batch, synchronous (a worker thread, or a test) ----------------------------------
    def run_batch(self) -> int:
        """Claim one batch and work through it; how many jobs ran (0: none was due)."""
        s = self.settings
        if self._stopping.is_set() or not self.queue.has_due(self.clock()):
            return 0
        size = (
            s.batch_size
            if self._wait_for_a_gap()
            else max(1, int(s.batch_size * FORCED_BATCH_SHARE))
        )
        held = self.queue.claim(
            Claim(self.worker, self.clock(), size, s.lease_seconds, s.retry.max_attempts)
        )
        ran = 0
        while held:
            if self._stopping.is_set():
                self.queue.release(held, self.worker)
                break
            held = self._keep_lease(held)
            if not held:
                break
            job, held = held[0], held[1:]
            self.run_job(job)
            ran += 1
        return ran

    def _wait_for_a_gap(self) -> bool:
        """Wait until no request is in flight, or ``yield_seconds`` at most, then go on; whether
        a quiet moment came (True also without a probe, or with no wait asked for).

        A server's runner shares the cores (and SQLite's one writer) with the requests it serves.
        Mails and webhooks can wait a second; a reader posting cannot. Under steady traffic there
        are gaps between requests and jobs run in them at once; when the server never stops
        answering, a smaller batch (``FORCED_BATCH_SHARE``) still runs every ``yield_seconds``,
        so the queue always moves. Real time, not ``clock``: this paces work, it schedules none.
        """
        busy, limit = self.busy, self.settings.yield_seconds
        if busy is None or limit <= 0:
            return True
        deadline = time.monotonic() + limit
        while busy() and not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._stopping.wait(min(_GAP_CHECK_SECONDS, left))
        return True

    def _keep_lease(self, held: list[Job]) -> list[Job]:
        """``held``, its lease renewed when half of it has gone; without jobs lost meanwhile."""
        now = self.clock()
        lease = timedelta(seconds=self.settings.lease_seconds)
        if held[0].locked_until - now > lease / 2:
            return held
        return self.queue.extend(held, self.worker, now + lease)

    def run_job(self, job: Job) -> None:
        """Run one held job's handler and record what came of it."""
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                # Another process may have the plug-in; meanwhile this is retried, then dead.
                raise JobFailed(f"no handler for kind {job.kind}")
            handler(job)
        except GiveUp as exc:
            self._failed(job, exc, retry=False)
        except Exception as exc:
            self._failed(job, exc, retry=True)
        else:
            if not self.queue.complete(job, self.worker, self.clock()):
                _LOG.warning("job %s (%s) ran after its lease was lost", job.id, job.kind)

    def _failed(self, job: Job, exc: Exception, *, retry: bool) -> None:
        now = self.clock()
        error = error_of(exc)
        retry_at = self.settings.retry.next_run(job.attempt, now, self.rng) if retry else None
        # The class or a handler's fixed reason: an exception's message may quote an address.
        _LOG.warning(
            "job %s (%s) attempt %s failed: %s; %s",
            job.id,
            job.kind,
            job.attempt,
            error,
            "dead" if retry_at is None else f"retry at {retry_at.isoformat()}",
        )
        self.queue.fail(job, self.worker, now, error, retry_at)

    def purge(self) -> int:
        """Delete done jobs older than ``keep_done``, at most once an hour; how many went."""
        now = self.clock()
        if self._purged_at is not None and now - self._purged_at < _PURGE_EVERY:
            return 0
        self._purged_at = now
        gone = 0
        while not self._stopping.is_set():
            chunk = self.queue.purge_done(now - self.settings.keep_done, _PURGE_CHUNK)
            gone += chunk
            if chunk < _PURGE_CHUNK:
                break
        return gone

    # -- the loop -----------------------------------------------------------------------------
    async def run(self) -> None:
        """Work through the queue until ``stop``; never raises for a failing database."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        _LOG.info("job runner %s started", self.worker)
        while not self._stopping.is_set():
            try:
                ran = await asyncio.to_thread(self._step)
            except Exception:
                # The database is down or refuses us: say so, wait a poll, try again.
                _LOG.exception("job runner %s: claiming failed", self.worker)
                ran = 0
            if ran == 0 and not self._stopping.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.poll_seconds)
                self._wake.clear()
        _LOG.info("job runner %s stopped", self.worker)

    def _step(self) -> int:
        ran = self.run_batch()
        if ran == 0:
            self.purge()
        return ran

    def wake(self) -> None:
        """Look for due jobs now instead of at the end of the poll (from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(wake.set)

    def stop(self) -> None:
        """Finish the job under way, give back the rest of the batch, end ``run``."""
        if not self._stopping.is_set():
            _LOG.info("job runner %s stopping: the job under way finishes", self.worker)
        self._stopping.set()
        self.wake()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()
