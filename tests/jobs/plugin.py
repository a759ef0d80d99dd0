"""A job plug-in for the process tests, loaded by ``rostra worker`` through ``jobs_plugins``.

Kind ``test.record`` writes one row per run into ``job_runs`` (job id, attempt, the worker's pid)
in the worker's database, so a test counts how often each job ran and where. A job whose payload
names a ``gate`` file first creates ``<gate>.started`` and waits until the gate exists: a test
knows the worker is inside that job, and lets it go on when it chooses.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine

from rostra.jobs.queue import Job
from rostra.jobs.registry import JobHandlers
from rostra.storage.database import normalise_url

runs_metadata = MetaData()
job_runs = Table(
    "job_runs",
    runs_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("pid", Integer, nullable=False),
)
_ENGINE: list[Engine] = []
_LOCK = threading.Lock()


def _engine() -> Engine:
    with _LOCK:
        if not _ENGINE:
            _ENGINE.append(create_engine(normalise_url(os.environ["ROSTRA_DATABASE_URL"])))
        return _ENGINE[0]


def record(job: Job) -> None:
    gate = job.payload.get("gate")
    if isinstance(gate, str):
        Path(gate + ".started").write_text(str(os.getpid()))
        while not Path(gate).exists():
            time.sleep(0.01)  # a polling interval: the test opens the gate when it chooses
    with _engine().begin() as conn:
        conn.execute(job_runs.insert().values(job_id=job.id, attempt=job.attempt, pid=os.getpid()))


def register(handlers: JobHandlers) -> None:
    handlers.register("test.record", record)
