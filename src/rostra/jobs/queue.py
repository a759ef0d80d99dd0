"""What the runner needs from the job table, declared where it is consumed.

``rostra.storage.jobs`` implements :class:`JobQueue` for SQLite and PostgreSQL. Every change a
worker makes to a job it holds names the worker and the attempt it claimed, so a worker whose
lease ran out (and whose job another worker took) cannot mark that job done or failed.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Job:
    """A job as a worker holds it: claimed, under a lease until ``locked_until``."""

    id: int
    kind: str
    payload_json: str
    idempotency_key: str
    # This claim's number, 1 for the first: the runner's backoff and the fencing of its writes.
    attempt: int
    locked_until: datetime

    @property
    def payload(self) -> Mapping[str, object]:
        value = json.loads(self.payload_json)
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job as an admin sees it (``rostra jobs list``)."""

    id: int
    kind: str
    idempotency_key: str
    state: JobState
    attempts: int
    run_after: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    # The site the payload names, when it names one (by id, by slug or both); many kinds do not.
    site_id: int | None = None
    site_slug: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """What one claim asks for."""

    worker: str
    now: datetime
    limit: int
    lease_seconds: int
    # A job whose lease ran out after this many claims is dead, not claimed again: a job that
    # kills its worker every time must not kill every worker in turn forever.
    max_attempts: int


class JobQueue(Protocol):
    def has_due(self, now: datetime) -> bool:
        """Whether any job is due or has an expired lease; a read, no lock taken."""
        ...

    def claim(self, claim: Claim) -> list[Job]:
        """Lease up to ``claim.limit`` due jobs to ``claim.worker``; none another worker holds."""
        ...

    def extend(self, jobs: Sequence[Job], worker: str, until: datetime) -> list[Job]:
        """Lengthen the lease of the jobs the worker still holds; those it still holds."""
        ...

    def complete(self, job: Job, worker: str, now: datetime) -> bool:
        """Mark done; False when the worker no longer holds the job (its lease ran out)."""
        ...

    def fail(
        self, job: Job, worker: str, now: datetime, error: str, retry_at: datetime | None
    ) -> bool:
        """Queue again for ``retry_at``, or dead when it is ``None``; False as for complete."""
        ...

    def release(self, jobs: Sequence[Job], worker: str) -> int:
        """Give back jobs claimed but not started (a worker stopping): queued again, the claim
        not counted as an attempt."""
        ...

    def purge_done(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` jobs done before ``before``; how many went."""
        ...

    def list_jobs(self, state: JobState | None, limit: int) -> list[JobRecord]: ...

    def retry(self, job_id: int, now: datetime) -> bool:
        """Queue a dead job again, due now, with its attempts reset; False when not dead."""
        ...
