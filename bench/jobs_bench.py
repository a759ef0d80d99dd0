"""Jobs through one ``rostra worker``: jobs per second, and the worker's memory over many jobs.

A scenario of its own (bench/run.py runs it with ``--json``): a fresh database
(SQLite in bench/work/jobs, or the PostgreSQL one given), ``rostra migrate``, N jobs of the
bench's no-op kind (bench/jobs_plugin.py) enqueued in one transaction, then one ``rostra worker``
with production-like settings. Every second it samples how many jobs are done and the worker's
RSS and PSS; at the end it prints jobs/s (from the worker being ready to the last job done) and
memory at each tenth of the run, and writes bench/results/jobs-<UTC stamp>.json (latest.md is
left alone).

    .venv/bin/python bench/jobs_bench.py [--jobs 100000] [--batch 20]
        [--database-url postgresql://USER@HOST/DB]   # an empty database of its own
        [--json PATH]                                # the result JSON here too (bench/run.py)
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import procs
from sqlalchemy import func, select

from rostra.domain.clock import utc_now
from rostra.services.ports import NewJob
from rostra.storage.database import create_engines
from rostra.storage.repository import SqlStore
from rostra.storage.tables import jobs

BENCH = Path(__file__).resolve().parent
ROSTRA = Path(sys.executable).with_name("rostra")


def enqueue(store: SqlStore, n: int) -> float:
    started = time.monotonic()
    now = utc_now()
    with store.write() as tx:
        for i in range(n):
            tx.enqueue(NewJob("bench.noop", {"comment": i, "site": 1}, f"bench:{i}"), now)
    return time.monotonic() - started


def done_count(store: SqlStore) -> int:
    with store.engines.read.connect() as conn:
        query = select(func.count()).select_from(jobs).where(jobs.c.state == "done")
        return int(conn.execute(query).scalar() or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--timeout", type=int, default=900, help="give up after this many s")
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the result JSON here (bench/run.py)"
    )
    args = parser.parse_args(argv)

    work = BENCH / "work" / "jobs"
    work.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    if not url:
        for old in work.glob("jobs.db*"):
            old.unlink()
        url = f"sqlite:///{work / 'jobs.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
    env.update(
        ROSTRA_DATABASE_URL=url,
        ROSTRA_SECRET_KEY=secrets.token_urlsafe(48),
        ROSTRA_JOBS_PLUGINS="jobs_plugin:register",
        ROSTRA_JOBS_BATCH_SIZE=str(args.batch),
        PYTHONPATH=str(BENCH),
    )
    subprocess.run([str(ROSTRA), "migrate"], env=env, check=True, capture_output=True)
    store = SqlStore(create_engines(url))
    enqueue_s = enqueue(store, args.jobs)
    print(f"enqueued {args.jobs} jobs in {enqueue_s:.1f} s ({args.jobs / enqueue_s:.0f}/s)")

    log = work / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [str(ROSTRA), "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    samples: list[dict[str, float]] = []
    try:
        while "running jobs of kinds" not in log.read_text(errors="replace"):
            if worker.poll() is not None:
                raise SystemExit(f"worker exited: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        started = time.monotonic()
        cpu0 = procs.cpu_seconds([worker.pid])
        done = 0
        while done < args.jobs:
            time.sleep(1.0)
            done = done_count(store)
            rss, pss = procs.memory_kib([worker.pid])
            elapsed = time.monotonic() - started
            samples.append({"s": round(elapsed, 2), "done": done, "rss_kib": rss, "pss_kib": pss})
            if elapsed > args.timeout:
                raise SystemExit(f"gave up after {elapsed:.0f} s with {done} jobs done")
        elapsed = samples[-1]["s"]
        cpu = procs.cpu_seconds([worker.pid]) - cpu0
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        store.close()

    tenths = []
    for k in range(1, 11):
        target = args.jobs * k / 10
        first = next(s for s in samples if s["done"] >= target)
        tenths.append(first)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "jobs": args.jobs,
        "batch": args.batch,
        "enqueue_seconds": round(enqueue_s, 2),
        "seconds": elapsed,
        "jobs_per_second": round(args.jobs / elapsed, 1),
        "worker_cpu_seconds": round(cpu, 1),
        "rss_kib_at_tenths": [s["rss_kib"] for s in tenths],
        "pss_kib_at_tenths": [s["pss_kib"] for s in tenths],
        # What "flat" is judged by: the RSS at the last tenth less the RSS at the first.
        "rss_growth_kib": tenths[-1]["rss_kib"] - tenths[0]["rss_kib"],
        "samples": samples,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = BENCH / "results" / f"jobs-{stamp}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    rss = result["rss_kib_at_tenths"]
    print(
        f"{args.jobs} jobs through one worker ({result['database']}, batch {args.batch}): "
        f"{elapsed:.1f} s, {result['jobs_per_second']} jobs/s, worker CPU {cpu:.1f} s; "
        f"RSS at each tenth (MiB): {' '.join(f'{r / 1024:.1f}' for r in rss)}"
    )
    print(f"results: {path.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
