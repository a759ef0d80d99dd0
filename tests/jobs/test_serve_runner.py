"""``rostra serve``'s own runner: the app, served by uvicorn as ``rostra serve`` runs it, runs a
job a request enqueued, through the registry it was given, with nothing else started; with
``jobs_in_process = false`` it runs none (``rostra worker`` does)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rostra.app import create_app
from rostra.config import Settings
from rostra.domain.clock import utc_now
from rostra.jobs.queue import Job, JobState
from rostra.jobs.registry import JobHandlers
from rostra.services.ports import NewJob
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.repository import SqlStore
from tests.conftest import LiveServer
from tests.process.servers import wait_until


class Ran:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.event = threading.Event()

    def __call__(self, job: Job) -> None:
        self.keys.append(job.idempotency_key)
        self.event.set()


@pytest.fixture
def ran() -> Ran:
    return Ran()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"jobs_poll_ms": 50}


@pytest.fixture
def app_factory(store: SqlStore, ran: Ran) -> Callable[[Settings], Any]:
    async def enqueue(request: Request) -> JSONResponse:
        key = request.query_params["key"]

        def write() -> bool:
            with store.write() as tx:
                return tx.enqueue(NewJob("test.record", {}, key), utc_now())

        return JSONResponse({"queued": await run_in_threadpool(write)})

    def factory(settings: Settings) -> Any:
        handlers = JobHandlers()
        handlers.register("test.record", ran)
        route = Route("/test/enqueue", enqueue, methods=["POST"])
        return create_app(settings, [route], job_handlers=handlers)

    return factory


def test_serve_runs_a_job_a_request_enqueued(server: LiveServer, ran: Ran) -> None:
    with server.client() as client:
        answer = client.post("/test/enqueue", params={"key": "from-a-request"})
    assert answer.status_code == 200 and answer.json() == {"queued": True}
    assert ran.event.wait(30), "the in-process runner never ran the job"
    assert ran.keys == ["from-a-request"]
    queue = SqlJobQueue(server.store.engines)
    # Marked done just after the handler returned.
    wait_until(lambda: [r.state for r in queue.list_jobs(None, 10)] == [JobState.DONE], 30, "done")


@pytest.mark.parametrize("settings_overrides", [{"jobs_in_process": False}])
def test_without_jobs_in_process_serve_runs_no_jobs(server: LiveServer) -> None:
    starlette_app = server.app.app.app  # inside the edge guard and the fast-read layer
    assert starlette_app.state.job_runner is None
