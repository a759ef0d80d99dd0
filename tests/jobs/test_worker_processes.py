"""``rostra worker`` as real processes: two workers on PostgreSQL share 1,000 jobs and none runs
twice; a worker SIGKILLed in the middle of a batch is restarted and every job completes, none
twice (the job under way had not sent anything yet: the normal case; ADR 0007 says what is left
when it had); a worker given SIGTERM finishes the job under way, gives the rest of its batch back
and exits 0. Each run of a job is a row the plug-in (tests/jobs/plugin.py) writes in the
database, so runs are counted, not guessed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from rostra.jobs.queue import JobState
from rostra.services.ports import NewJob
from rostra.storage.database import create_engines, normalise_url
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.repository import SqlStore
from tests.conftest import DATABASES, SECRET, new_pg_database
from tests.jobs.plugin import job_runs, runs_metadata
from tests.process.servers import wait_until

pytestmark = [pytest.mark.xdist_group("processes"), pytest.mark.slow]

ROSTRA = Path(sys.executable).with_name("rostra")
ROOT = Path(__file__).resolve().parents[2]
# The line a worker logs once it runs jobs. Among its kinds: the test plug-in's and at least these
# of Rostra's own (a feature may add more; a worker that runs fewer fails its first test).
READY = "running jobs of kinds "
KINDS = {
    *("desk.alert", "desk.alert.digest", "desk.alert.send", "moderation.learn", "notify.confirm"),
    *("notify.digest", "notify.mail", "notify.published", "test.record", "webhook.deliver"),
    "webhook.disabled",
}
LEASE_SECONDS = 2


@dataclass
class Deployment:
    kind: str
    url: str
    workdir: Path
    store: SqlStore
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
        env.update(
            ROSTRA_DATABASE_URL=self.url,
            ROSTRA_SECRET_KEY=SECRET,
            ROSTRA_JOBS_PLUGINS="tests.jobs.plugin:register",
            ROSTRA_JOBS_POLL_MS="50",
            ROSTRA_JOBS_LEASE_SECONDS=str(LEASE_SECONDS),
            PYTHONPATH=str(ROOT),
            **extra,
        )
        return env

    def worker(self, name: str, **extra: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(ROSTRA), "worker"],
                env=self.env(**extra),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)  # killed at the end of the test whatever happens

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"rostra worker exited: {log.read_text()[-3000:]}")
            lines = [ln for ln in log.read_text().splitlines() if READY in ln]
            if lines and not set(lines[0].split(READY, 1)[1].split(", ")) >= KINDS:
                raise AssertionError(f"the worker does not run every kind: {lines[0]}")
            return bool(lines)

        wait_until(ready, 60, f"worker {name}")
        return process, log

    def enqueue(self, payloads: list[dict[str, object]]) -> None:
        from rostra.domain.clock import utc_now

        with self.store.write() as tx:
            for n, payload in enumerate(payloads):
                tx.enqueue(NewJob("test.record", payload, f"job:{n}"), utc_now())

    def runs(self) -> Counter[int]:
        with self.store.engines.read.connect() as conn:
            return Counter(conn.execute(select(job_runs.c.job_id)).scalars())

    def done(self) -> int:
        return len(SqlJobQueue(self.store.engines).list_jobs(JobState.DONE, 100_000))


@pytest.fixture(params=DATABASES)
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'rostra.db'}"
        else:
            url = stack.enter_context(new_pg_database("rostra_jobs"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
        done = subprocess.run(
            [str(ROSTRA), "migrate"],
            env=env | {"ROSTRA_DATABASE_URL": url, "ROSTRA_SECRET_KEY": SECRET},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        engine = create_engine(normalise_url(url))
        runs_metadata.create_all(engine)
        engine.dispose()
        store = SqlStore(create_engines(url))
        stack.callback(store.close)
        deployment = Deployment(request.param, url, tmp_path, store)
        stack.callback(kill_what_is_left, deployment.started)
        yield deployment


def kill_what_is_left(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGKILL every worker a test started and has not stopped (one that failed its test)."""
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)


def stop(process: subprocess.Popen[bytes], how: int = signal.SIGTERM) -> int:
    process.send_signal(how)
    return process.wait(timeout=60)


def test_two_workers_on_postgresql_share_a_thousand_jobs_and_none_runs_twice(
    deployment: Deployment,
) -> None:
    if deployment.kind == "sqlite":
        pytest.skip("one worker on SQLite: claims take turns under the writer lock")
    workers = [deployment.worker(f"w{i}", ROSTRA_JOBS_BATCH_SIZE="10") for i in range(2)]
    try:
        deployment.enqueue([{"n": n} for n in range(1000)])
        wait_until(lambda: deployment.done() == 1000, 180, "1,000 jobs done")
    finally:
        codes = [stop(process) for process, _ in workers]
    runs = deployment.runs()
    assert len(runs) == 1000 and set(runs.values()) == {1}, runs.most_common(3)
    with deployment.store.engines.read.connect() as conn:
        counted = select(job_runs.c.pid, func.count()).group_by(job_runs.c.pid)
        by_pid = {pid: n for pid, n in conn.execute(counted)}
    assert set(by_pid) == {p.pid for p, _ in workers}, by_pid  # both took part
    assert codes == [0, 0]


def test_a_worker_killed_mid_batch_and_restarted_completes_every_job_once(
    deployment: Deployment, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    payloads: list[dict[str, object]] = [{"n": n} for n in range(50)]
    payloads[25] = {"n": 25, "gate": str(gate)}
    first, _ = deployment.worker("first", ROSTRA_JOBS_BATCH_SIZE="10")
    try:
        deployment.enqueue(payloads)
        wait_until(lambda: Path(str(gate) + ".started").exists(), 60, "the gated job to start")
        assert stop(first, signal.SIGKILL) == -signal.SIGKILL
    finally:
        first.kill()
    queue = SqlJobQueue(deployment.store.engines)
    before = {r.id: r for r in queue.list_jobs(None, 100)}
    running = sorted(i for i, r in before.items() if r.state is JobState.RUNNING)
    # Killed inside the batch: the gated job and the rest of its batch are still leased to it.
    assert len(running) >= 2, running
    assert sum(r.state is JobState.DONE for r in before.values()) == len(deployment.runs())
    gate.write_text("open")
    second, _ = deployment.worker("second", ROSTRA_JOBS_BATCH_SIZE="10")
    try:
        wait_until(lambda: deployment.done() == 50, 120, "every job done after the restart")
    finally:
        assert stop(second) == 0
    runs = deployment.runs()
    assert len(runs) == 50 and set(runs.values()) == {1}, runs.most_common(3)
    after = {r.id: r.attempts for r in queue.list_jobs(None, 100)}
    # The killed worker's jobs were taken over once their lease ran out: a second claim.
    assert {i: after[i] for i in running} == dict.fromkeys(running, 2)


def test_sigterm_finishes_the_job_under_way_and_gives_back_the_rest(
    deployment: Deployment, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    payloads: list[dict[str, object]] = [{"n": n} for n in range(10)]
    payloads[3] = {"n": 3, "gate": str(gate)}
    worker, log = deployment.worker("graceful", ROSTRA_JOBS_BATCH_SIZE="10")
    try:
        deployment.enqueue(payloads)
        wait_until(lambda: Path(str(gate) + ".started").exists(), 60, "the gated job to start")
        worker.send_signal(signal.SIGTERM)
        # The gate opens once the worker has taken the signal in, so it cannot start another.
        wait_until(lambda: "stopping" in log.read_text(), 60, "the worker to take SIGTERM in")
        gate.write_text("open")
        assert worker.wait(timeout=60) == 0, log.read_text()[-3000:]
    finally:
        worker.kill()
    records = sorted(SqlJobQueue(deployment.store.engines).list_jobs(None, 100), key=lambda r: r.id)
    assert [(r.state, r.attempts) for r in records] == [(JobState.DONE, 1)] * 4 + [
        (JobState.QUEUED, 0)
    ] * 6
    assert sorted(deployment.runs()) == [r.id for r in records[:4]]
    assert "stopped" in log.read_text()
