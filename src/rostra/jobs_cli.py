"""``rostra worker`` runs background jobs as a process of its own; ``rostra jobs`` lets an admin
see the dead-letter list and queue a job again.

A worker claims, runs and records jobs until SIGTERM or SIGINT, then finishes the job under
way, gives the rest of its batch back and exits 0. Any number run side by side on PostgreSQL;
on SQLite their claims take turns under the writer lock (docs/adr/0007-durable-jobs.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

STATES = ("queued", "running", "done", "dead")
WORKER_CACHE_KIB = 4_000


def register(sub: Any) -> None:
    worker = sub.add_parser("worker", help="run background jobs (mail, webhooks) until stopped")
    worker.set_defaults(func=cmd_worker)
    jobs = sub.add_parser("jobs", help="background jobs: the dead-letter list, retries")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    listing = jobs_sub.add_parser("list", help="list jobs, newest first")
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--dead", action="store_true", help="only the jobs that failed for good")
    which.add_argument("--state", choices=STATES, help="only the jobs in this state")
    listing.add_argument("--limit", type=int, default=50)
    retry = jobs_sub.add_parser(
        "retry", help="queue dead jobs again (attempts reset) or run waiting ones now"
    )
    retry.add_argument("ids", nargs="+", type=int, metavar="ID")
    jobs.set_defaults(func=cmd_jobs)


def cmd_worker(args: argparse.Namespace) -> int:
    from rostra.app import register_learning_jobs, register_notify_jobs, register_webhook_jobs
    from rostra.config import command_settings
    from rostra.jobs.registry import builtin_handlers
    from rostra.jobs.runner import Runner, runner_settings
    from rostra.storage.database import create_engines
    from rostra.storage.jobs import SqlJobQueue
    from rostra.storage.repository import SqlStore

    settings = command_settings(args)
    handlers = builtin_handlers(settings.jobs_plugins)  # a plug-in that fails stops us here
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    # A worker reads each job once: on SQLite a small page cache keeps its memory flat however
    # big the table grows (with the server's 32 MB it grew until that was full; bench/README.md).
    engines = create_engines(settings.database_url, pool_size=2, sqlite_cache_kib=WORKER_CACHE_KIB)
    register_notify_jobs(handlers, settings, SqlStore(engines))
    register_webhook_jobs(handlers, settings, SqlStore(engines))
    register_learning_jobs(handlers, SqlStore(engines))
    runner = Runner(SqlJobQueue(engines), handlers, runner_settings(settings))

    async def work() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, runner.stop)
        print(
            f"rostra worker {runner.worker}: running jobs of kinds "
            f"{', '.join(handlers.kinds()) or '(none registered)'}",
            file=sys.stderr,
            flush=True,
        )
        await runner.run()

    try:
        asyncio.run(work())
    finally:
        engines.dispose()
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from rostra.config import command_settings
    from rostra.domain.clock import utc_now
    from rostra.jobs.queue import JobState
    from rostra.storage.database import create_engines
    from rostra.storage.jobs import SqlJobQueue

    settings = command_settings(args)
    engines = create_engines(settings.database_url)
    queue = SqlJobQueue(engines)
    try:
        if args.jobs_command == "list":
            if args.limit < 1:
                raise ValueError("--limit must be at least 1")
            state = JobState.DEAD if args.dead else JobState(args.state) if args.state else None
            print("id\tstate\tkind\tattempts\tlast error\trun after\tfinished\tkey")
            for job in queue.list_jobs(state, args.limit):
                finished = job.finished_at.isoformat(timespec="seconds") if job.finished_at else "-"
                print(
                    f"{job.id}\t{job.state.value}\t{job.kind}\t{job.attempts}\t"
                    f"{job.last_error or '-'}\t{job.run_after.isoformat(timespec='seconds')}\t"
                    f"{finished}\t{job.idempotency_key}"
                )
            return 0
        failed = []
        for job_id in args.ids:
            if queue.retry(job_id, utc_now()):
                print(f"job {job_id} queued again")
            else:
                failed.append(job_id)
        if failed:
            raise ValueError("no dead or waiting job with id " + ", ".join(str(i) for i in failed))
        return 0
    finally:
        engines.dispose()
