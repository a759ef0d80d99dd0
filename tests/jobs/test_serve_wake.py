"""``rostra serve``'s runner is woken when a request's transaction that queued a job commits: with
a poll of a minute, the job of a comment posted through the API runs well within it (both
databases). Which writes wake it, and that the job can be seen by then:
tests/storage/test_jobs_storage.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from rostra.app import create_app
from rostra.config import Settings
from rostra.jobs.queue import Job
from rostra.jobs.registry import JobHandlers
from rostra.notify.subscription_mail import CONFIRM_JOB
from tests.conftest import HOST_ORIGIN, IN_PROCESS_URL, LiveServer
from tests.helpers import API, QUIET

pytestmark = pytest.mark.in_process

POLL_SECONDS = 60
# Generous for a loaded machine, and still a third of the poll: only a wake makes it.
PROMPTLY = 20


class Ran:
    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.event = threading.Event()

    def __call__(self, job: Job) -> None:
        self.kinds.append(job.kind)
        self.event.set()


@pytest.fixture
def ran() -> Ran:
    return Ran()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "jobs_poll_ms": POLL_SECONDS * 1000,
        # Notifications on; the test's handler takes the mail job, nothing is sent.
        "smtp_url": "smtp://127.0.0.1:9",
        "mail_from": '"The Courier" <comments@news.example>',
        "public_url": IN_PROCESS_URL,
    }


@pytest.fixture
def app_factory(ran: Ran) -> Callable[[Settings], Any]:
    def factory(settings: Settings) -> Any:
        handlers = JobHandlers()
        # The confirmation mail a guest's first subscription queues with the comment.
        handlers.register(CONFIRM_JOB, ran)
        return create_app(settings, job_handlers=handlers)

    return factory


def test_a_posted_comments_job_runs_without_waiting_for_the_poll(
    server: LiveServer, ran: Ran
) -> None:
    server.store.update_site("demo", None, QUIET)
    with server.client(headers={"Origin": HOST_ORIGIN}) as client:
        answer = client.post(
            f"{API}/comments",
            json={
                "thread": "t1",
                "body": "Tell me of replies.",
                "email": "reader@news.example",
                "notify": "thread",
            },
        )
        assert answer.status_code == 201, answer.text
    assert ran.event.wait(PROMPTLY), "the runner waited for its poll: no wake on commit"
    assert ran.kinds == [CONFIRM_JOB]
