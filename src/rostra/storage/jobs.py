"""The jobs outbox in the database: enqueueing inside a write transaction, and the runner's
queue (``rostra.jobs.queue.JobQueue``) for SQLite and PostgreSQL.

On PostgreSQL a claim locks the rows it takes with ``FOR UPDATE SKIP LOCKED``: any number of
workers claim at once, each skipping the rows another is taking, so no job is leased twice. On
SQLite a claim is one ``BEGIN IMMEDIATE`` transaction under the writer lock (docs/adr/0003):
claims are one at a time anyway, and the clause is not rendered. Every later write a worker makes
to a job is fenced by the worker's name and the claim's attempt number, so a worker whose lease
ran out cannot undo the work of the one that took the job over.

See docs/adr/0007-durable-jobs.md for the design and what at-least-once delivery leaves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Executable,
    Row,
    and_,
    delete,
    event,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.pool import ConnectionPoolEntry

from rostra.jobs.queue import Claim, Job, JobRecord, JobState
from rostra.jobs.registry import KIND
from rostra.services.ports import NewJob
from rostra.storage.database import Engines, upsert
from rostra.storage.rows import has_nul, utc
from rostra.storage.tables import jobs

MAX_PAYLOAD_BYTES = 65_536
MAX_KEY_CHARS = 200
_LEASE_LOST = "lease expired"
_QUEUED, _RUNNING = JobState.QUEUED.value, JobState.RUNNING.value
_DONE, _DEAD = JobState.DONE.value, JobState.DEAD.value
# Set in a connection's info by a write that queued a job due now; read when the connection goes
# back to the pool, after its transaction committed or rolled back (see ``wake_after_commit``).
_QUEUED_NOW = "rostra.jobs.queued"
_CLAIMED = (jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.idempotency_key, jobs.c.attempts)


def job_values(job: NewJob, now: datetime) -> dict[str, Any]:
    """The row for ``job``; ``ValueError`` for a job no handler could be meant to get."""
    if not KIND.fullmatch(job.kind):
        raise ValueError(f"job kind {job.kind!r} must match {KIND.pattern}")
    key = job.idempotency_key
    if not key or len(key) > MAX_KEY_CHARS or has_nul(key):
        raise ValueError(f"a job's idempotency key has 1 to {MAX_KEY_CHARS} characters, no NUL")
    payload = json.dumps(dict(job.payload), sort_keys=True, separators=(",", ":"), allow_nan=False)
    if len(payload.encode()) > MAX_PAYLOAD_BYTES or has_nul(payload):
        raise ValueError(f"a job's payload is JSON of at most {MAX_PAYLOAD_BYTES} bytes")
    return {
        "kind": job.kind,
        "payload": payload,
        "idempotency_key": key,
        "state": _QUEUED,
        "attempts": 0,
        "run_after": job.run_after or now,
        "created_at": now,
    }


@cache
def _enqueue_statement(dialect: str) -> Executable:
    """The enqueue ``INSERT … ON CONFLICT DO NOTHING RETURNING id``, built once per dialect with
    its values as parameters: a statement built per call with ``.values(...)`` coerced every
    value and keyed the compiled cache on them, a quarter of a millisecond inside the posting
    transaction (that is, under SQLite's one writer)."""
    insert = upsert(dialect, jobs).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return insert.returning(jobs.c.id)


class JobWrites:
    """``WriteTransaction.enqueue``, mixed into the store's write transaction."""

    conn: Connection

    def enqueue(self, job: NewJob, now: datetime) -> bool:
        result = self.conn.execute(_enqueue_statement(self.conn.dialect.name), job_values(job, now))
        # A row comes back only when one was inserted (rowcount is not reliable here on
        # PostgreSQL, where the driver reports the implicit RETURNING).
        added = result.first() is not None
        if added and (job.run_after is None or job.run_after <= now):
            mark_queued(self.conn)
        return added


def mark_queued(conn: Connection) -> None:
    """This transaction queued a job: once it commits, ``wake_after_commit``'s callback runs."""
    conn.info[_QUEUED_NOW] = True


def wake_after_commit(engines: Engines, wake: Callable[[], None]) -> None:
    """Call ``wake`` after each write transaction on ``engines`` that queued a job commits.

    ``rostra serve`` passes its in-process runner's ``wake``, so a job a request queued runs now
    rather than at the end of the runner's poll. SQLAlchemy's ``commit`` event comes before the
    database's commit, when the job cannot be seen yet; so a rollback forgets the mark, and the
    callback runs when the connection goes back to the pool, after the transaction ended. A
    commit that failed may still call it: a needless wake costs one indexed read.
    """

    def rolled_back(conn: Connection) -> None:
        conn.info.pop(_QUEUED_NOW, None)

    def checked_in(_dbapi_conn: object, record: ConnectionPoolEntry) -> None:
        if record.info.pop(_QUEUED_NOW, False):
            wake()

    event.listen(engines.write, "rollback", rolled_back)
    event.listen(engines.write, "checkin", checked_in)


def _job(row: Row[Any], locked_until: datetime) -> Job:
    return Job(
        id=int(row.id),
        kind=row.kind,
        payload_json=row.payload,
        idempotency_key=row.idempotency_key,
        attempt=int(row.attempts),
        locked_until=locked_until,
    )


def _site_of(payload: str) -> tuple[int | None, str | None]:
    """The site a payload names. Kinds spell it their own way: ``site`` (an id or a slug),
    ``site_id``, ``slug``; a payload that names none (a mail for a subscription) gives none."""
    try:
        value = json.loads(payload)
    except ValueError:
        return None, None
    if not isinstance(value, dict):
        return None, None
    site_id = value.get("site_id", value.get("site"))
    slug = value.get("slug", value.get("site"))
    return (
        site_id if isinstance(site_id, int) and not isinstance(site_id, bool) else None,
        slug if isinstance(slug, str) else None,
    )


def _record(r: Row[Any]) -> JobRecord:
    site_id, site_slug = _site_of(r.payload)
    return JobRecord(
        id=int(r.id),
        kind=r.kind,
        idempotency_key=r.idempotency_key,
        state=JobState(r.state),
        attempts=int(r.attempts),
        run_after=utc(r.run_after) or r.run_after,
        last_error=r.last_error,
        created_at=utc(r.created_at) or r.created_at,
        finished_at=utc(r.finished_at),
        site_id=site_id,
        site_slug=site_slug,
    )


def _held(job: Job, worker: str) -> Any:
    """The job's row while this worker still holds this claim of it."""
    c = jobs.c
    return and_(
        c.id == job.id, c.state == _RUNNING, c.locked_by == worker, c.attempts == job.attempt
    )


class SqlJobQueue:
    """The runner's ``JobQueue`` over SQLAlchemy Core."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    def has_due(self, now: datetime) -> bool:
        c = jobs.c
        due = exists().where(c.state == _QUEUED, c.run_after <= now)
        lapsed = exists().where(c.state == _RUNNING, c.locked_until < now)
        with self.engines.read.connect() as conn:
            # Two probes, each answered by its partial index; an OR of both may use neither.
            return bool(conn.execute(select(due)).scalar() or conn.execute(select(lapsed)).scalar())

    def claim(self, claim: Claim) -> list[Job]:
        c = jobs.c
        until = claim.now + timedelta(seconds=claim.lease_seconds)
        with self.engines.writing(), self.engines.write.begin() as conn:
            lapsed = conn.execute(
                select(c.id, c.attempts)
                .where(c.state == _RUNNING, c.locked_until < claim.now)
                .order_by(c.locked_until)
                .limit(claim.limit)
                .with_for_update(skip_locked=True)
            ).all()
            spent = [r.id for r in lapsed if r.attempts >= claim.max_attempts]
            if spent:
                # Its worker died holding it max_attempts times: it may be what kills them.
                conn.execute(
                    update(jobs)
                    .where(c.id.in_(spent))
                    .values(
                        state=_DEAD,
                        locked_by=None,
                        locked_until=None,
                        last_error=_LEASE_LOST,
                        finished_at=claim.now,
                    )
                )
            ids = [r.id for r in lapsed if r.attempts < claim.max_attempts]
            if len(ids) < claim.limit:
                ids += conn.execute(
                    select(c.id)
                    .where(c.state == _QUEUED, c.run_after <= claim.now)
                    .order_by(c.run_after, c.id)
                    .limit(claim.limit - len(ids))
                    .with_for_update(skip_locked=True)
                ).scalars()
            if not ids:
                return []
            rows = conn.execute(
                update(jobs)
                .where(c.id.in_(ids), c.state.in_((_QUEUED, _RUNNING)))
                .values(
                    state=_RUNNING,
                    locked_by=claim.worker,
                    locked_until=until,
                    attempts=c.attempts + 1,
                )
                .returning(*_CLAIMED)
            ).all()
        order = {job_id: n for n, job_id in enumerate(ids)}
        return sorted((_job(r, until) for r in rows), key=lambda j: order[j.id])

    def extend(self, held: Sequence[Job], worker: str, until: datetime) -> list[Job]:
        if not held:
            return []
        c = jobs.c
        attempts = {j.id: j.attempt for j in held}
        with self.engines.writing(), self.engines.write.begin() as conn:
            rows = conn.execute(
                update(jobs)
                .where(c.id.in_(list(attempts)), c.state == _RUNNING, c.locked_by == worker)
                .values(locked_until=until)
                .returning(c.id, c.attempts)
            ).all()
        kept = {r.id for r in rows if attempts[r.id] == r.attempts}
        return [
            Job(j.id, j.kind, j.payload_json, j.idempotency_key, j.attempt, until)
            for j in held
            if j.id in kept
        ]

    def complete(self, job: Job, worker: str, now: datetime) -> bool:
        return self._finish(
            job, worker, state=_DONE, locked_by=None, locked_until=None, finished_at=now
        )

    def fail(
        self, job: Job, worker: str, now: datetime, error: str, retry_at: datetime | None
    ) -> bool:
        if retry_at is None:
            return self._finish(
                job,
                worker,
                state=_DEAD,
                locked_by=None,
                locked_until=None,
                last_error=error[:200],
                finished_at=now,
            )
        return self._finish(
            job,
            worker,
            state=_QUEUED,
            locked_by=None,
            locked_until=None,
            last_error=error[:200],
            run_after=retry_at,
        )

    def _finish(self, job: Job, worker: str, **values: Any) -> bool:
        with self.engines.writing(), self.engines.write.begin() as conn:
            result = conn.execute(update(jobs).where(_held(job, worker)).values(**values))
        return bool(result.rowcount == 1)

    def release(self, held: Sequence[Job], worker: str) -> int:
        if not held:
            return 0
        c = jobs.c
        with self.engines.writing(), self.engines.write.begin() as conn:
            result = conn.execute(
                update(jobs)
                .where(c.id.in_([j.id for j in held]), c.state == _RUNNING, c.locked_by == worker)
                .values(state=_QUEUED, locked_by=None, locked_until=None, attempts=c.attempts - 1)
            )
        return int(result.rowcount)

    def purge_done(self, before: datetime, limit: int) -> int:
        c = jobs.c
        old = (
            select(c.id)
            .where(c.state == _DONE, c.finished_at < before)
            .order_by(c.finished_at)
            .limit(limit)
        )
        with self.engines.writing(), self.engines.write.begin() as conn:
            ids = list(conn.execute(old).scalars())
            if not ids:
                return 0
            result = conn.execute(delete(jobs).where(c.id.in_(ids)))
        return int(result.rowcount)

    def list_jobs(self, state: JobState | None, limit: int) -> list[JobRecord]:
        query = select(jobs).order_by(jobs.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(jobs.c.state == state.value)
        with self.engines.read.connect() as conn:
            return [_record(r) for r in conn.execute(query)]

    def list_waiting(self, limit: int) -> list[JobRecord]:
        """Queued jobs that failed at least once and wait for their retry, soonest first."""
        c = jobs.c
        query = (
            select(jobs)
            .where(c.state == _QUEUED, c.attempts > 0)
            .order_by(c.run_after, c.id)
            .limit(limit)
        )
        with self.engines.read.connect() as conn:
            return [_record(r) for r in conn.execute(query)]

    def count_dead(self) -> int:
        query = select(func.count()).select_from(jobs).where(jobs.c.state == _DEAD)
        with self.engines.read.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def count_waiting(self) -> int:
        c = jobs.c
        query = select(func.count()).select_from(jobs).where(c.state == _QUEUED, c.attempts > 0)
        with self.engines.read.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def retry_dead(self, now: datetime) -> int:
        """Queue every dead job again, due now, attempts reset; how many."""
        c = jobs.c
        with self.engines.writing(), self.engines.write.begin() as conn:
            result = conn.execute(
                update(jobs)
                .where(c.state == _DEAD)
                .values(state=_QUEUED, attempts=0, run_after=now, finished_at=None)
            )
            if result.rowcount:
                mark_queued(conn)
        return int(result.rowcount)

    def retry(self, job_id: int, now: datetime) -> bool:
        c = jobs.c
        with self.engines.writing(), self.engines.write.begin() as conn:
            dead = conn.execute(
                update(jobs)
                .where(c.id == job_id, c.state == _DEAD)
                .values(state=_QUEUED, attempts=0, run_after=now, finished_at=None)
            ).rowcount
            waiting = conn.execute(
                update(jobs)
                .where(c.id == job_id, c.state == _QUEUED, c.run_after > now)
                .values(run_after=now)
            ).rowcount
            if dead or waiting:
                mark_queued(conn)
        return bool(dead or waiting)
