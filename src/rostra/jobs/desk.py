"""The dead-letter list as the desk shows it to admins: dead jobs and jobs waiting on a retry,
and queueing them again.

Admins are Rostra-wide (an admin moderates every site, rostra.domain.desk), and so are jobs: one
table, some of whose kinds name no site (a reader's notification mail names its subscription).
So the list is for admins only and shows every job, with the site named where its payload names
one. Nothing here shows a payload: it may hold a webhook event's data. A job's last error is the
short, fixed reason the runner records (never an exception's message); the page still escapes
it and cuts it short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rostra.domain.clock import utc_now
from rostra.domain.desk import Role, StaffAccount
from rostra.domain.errors import N_, Forbidden, NotFound
from rostra.domain.models import Site
from rostra.jobs.queue import JobRecord, JobState

ERROR_CHARS = 120
SHOWN = 100


class JobListQueue(Protocol):
    """What the page needs of the job table (``rostra.storage.jobs.SqlJobQueue``)."""

    def list_jobs(self, state: JobState | None, limit: int) -> list[JobRecord]: ...

    def list_waiting(self, limit: int) -> list[JobRecord]: ...

    def count_dead(self) -> int: ...

    def count_waiting(self) -> int: ...

    def retry(self, job_id: int, now: datetime) -> bool: ...

    def retry_dead(self, now: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class JobLine:
    """One job on the page."""

    id: int
    kind: str
    site: str | None
    attempts: int
    error: str | None
    # Dead: when it died. Waiting: when it runs again.
    when: datetime


@dataclass(frozen=True, slots=True)
class JobsView:
    dead: list[JobLine]
    dead_total: int
    waiting: list[JobLine]
    waiting_total: int


def short_error(error: str | None) -> str | None:
    if error is None or len(error) <= ERROR_CHARS:
        return error
    return error[: ERROR_CHARS - 1] + "…"


def _require_admin(actor: StaffAccount) -> None:
    if actor.role is not Role.ADMIN or actor.disabled:
        raise Forbidden(N_("Only admins see and retry background jobs."), code="admins-only")


class DeadLetters:
    """The admins' view of the jobs that failed; every call checks the actor is an admin."""

    def __init__(
        self,
        queue: JobListQueue,
        sites: Callable[[], Iterable[Site]],
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.queue = queue
        self.sites = sites
        self.clock = clock

    def view(self, actor: StaffAccount, limit: int = SHOWN) -> JobsView:
        _require_admin(actor)
        dead = self.queue.list_jobs(JobState.DEAD, limit)
        waiting = self.queue.list_waiting(limit)
        names = self._site_names(dead + waiting)
        return JobsView(
            dead=[self._line(r, r.finished_at or r.run_after, names) for r in dead],
            dead_total=self.queue.count_dead(),
            waiting=[self._line(r, r.run_after, names) for r in waiting],
            waiting_total=self.queue.count_waiting(),
        )

    def retry(self, actor: StaffAccount, job_id: int) -> None:
        """Queue a dead job again (attempts reset), or run a waiting one now."""
        _require_admin(actor)
        if not self.queue.retry(job_id, self.clock()):
            raise NotFound(
                N_("There is no dead or waiting job number %(job)s."),
                code="job-not-found",
                job=job_id,
            )

    def retry_all_dead(self, actor: StaffAccount) -> int:
        _require_admin(actor)
        return self.queue.retry_dead(self.clock())

    def _site_names(self, records: list[JobRecord]) -> dict[int | str, str]:
        if not any(r.site_id is not None or r.site_slug for r in records):
            return {}
        names: dict[int | str, str] = {}
        for site in self.sites():
            names[site.id] = names[site.slug] = site.slug
        return names

    @staticmethod
    def _line(record: JobRecord, when: datetime, names: dict[int | str, str]) -> JobLine:
        site = None
        if record.site_id is not None:
            site = names.get(record.site_id)
        if site is None and record.site_slug:
            site = names.get(record.site_slug, record.site_slug)
        return JobLine(
            id=record.id,
            kind=record.kind,
            site=site,
            attempts=record.attempts,
            error=short_error(record.last_error),
            when=when,
        )
