"""The notification and background-jobs scenarios of ``make bench`` (bench/run.py runs them after
the HTTP cells, with every server stopped).

Notifications: bench/notify_bench.py on SQLite and on a fresh PostgreSQL database: one reply
fanned out to ``followers`` confirmed followers (mails/s into a local SMTP sink) and a daily
digest for ``digest`` subscriptions (seconds to build and send). Jobs: bench/jobs_bench.py on
both databases: jobs/s through one ``rostra worker`` and its memory over the run. Each run is a
process of its own with its log in bench/work/logs; PostgreSQL databases are created here on the
server ``pg_url`` names (its maintenance database) and dropped afterwards. A run that fails, or
a PostgreSQL that cannot be reached, is recorded with its reason, and its targets are SKIP.

    .venv/bin/python bench/notify_scenarios.py [--followers 100] [--digest 500] [--jobs 2000]
        # the scenarios alone, their tables printed (a smoke run; nothing written to results/)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

Json = dict[str, Any]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
LOGS = WORK / "logs"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DATABASES = ("sqlite", "postgresql")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_url_default() -> str:
    return os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL)


def fresh_database(admin_url: str, name: str) -> str:
    """A new, empty database ``name`` on ``admin_url``'s server; its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn,
    ):
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_script(
    argv: list[str], label: str, timeout: float, source: Path | None = None
) -> str | None:
    """Run ``argv`` (a bench script) in a process group of its own, its output in
    bench/work/logs/<label>.log, on ``source``'s Rostra (``--rostra-ref``'s export) ahead of the
    working tree's; None when it succeeded, else why not."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{label}.log"
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            # The notification bench's SMTP sink and the jobs bench's worker go with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if code is None:
        return f"gave up after {timeout:.0f} s (log: {log_path.relative_to(ROOT)})"
    if code != 0:
        lines = log_path.read_text(errors="replace").strip().splitlines() or [""]
        return f"exited {code}: {lines[-1][:200]} (log: {log_path.relative_to(ROOT)})"
    return None


def each_database(
    kind: str,
    pg_url: str,
    stamp: str,
    log: Callable[[str], None],
    one: Callable[[str, str | None, Path], str | None],
) -> Json:
    """``one(database, url, json_path)`` on SQLite and on a fresh PostgreSQL database: what each
    wrote to its JSON file, or ``{"error": why}``."""
    runs: Json = {}
    for database in DATABASES:
        out = WORK / f"{kind}-{database}.json"
        out.unlink(missing_ok=True)
        name = f"bench_{kind}_{stamp}".lower()
        url: str | None = None
        if database == "postgresql":
            try:
                url = fresh_database(pg_url, name)
            except Exception as exc:  # noqa: BLE001 - any failure to reach it is a skip
                why = " ".join(str(exc).split())[:200]
                runs[database] = {"error": f"PostgreSQL at {_safe(pg_url)} unusable: {why}"}
                log(f"{kind} on PostgreSQL skipped: {runs[database]['error']}")
                continue
        log(f"{kind} scenario on {database}")
        try:
            failed = one(database, url, out)
        finally:
            if url is not None:
                drop_database(pg_url, name)
        if failed is None and out.exists():
            runs[database] = json.loads(out.read_text())
        else:
            runs[database] = {"error": failed or "no results written"}
            log(f"{kind} on {database} failed: {runs[database]['error']}")
    return runs


def notifications(
    followers: int,
    digest: int,
    pg_url: str,
    stamp: str,
    log: Callable[[str], None],
    source: Path | None = None,
) -> Json:
    """bench/notify_bench.py on both databases."""

    def one(database: str, url: str | None, out: Path) -> str | None:
        argv = [PYTHON, str(HERE / "notify_bench.py"), "--followers", str(followers)]
        argv += ["--digest", str(digest), "--json", str(out)]
        if url:
            argv += ["--database-url", url]
        return run_script(argv, f"notify-{database}", timeout=1800, source=source)

    runs = each_database("notify", pg_url, stamp, log, one)
    return {"followers": followers, "digest": digest, "runs": runs}


def jobs(
    n: int, pg_url: str, stamp: str, log: Callable[[str], None], source: Path | None = None
) -> Json:
    """bench/jobs_bench.py on both databases (``--json`` where it takes it; else the stamped
    file it writes in bench/results/, moved to bench/work: results/ keeps the runs' files).
    With ``source``, the script itself runs that code, and its worker whatever PYTHONPATH
    jobs_bench.py gives it."""
    script = HERE / "jobs_bench.py"
    takes_json = "--json" in script.read_text(encoding="utf-8")

    def one(database: str, url: str | None, out: Path) -> str | None:
        argv = [PYTHON, str(script), "--jobs", str(n), "--timeout", "1800"]
        if takes_json:
            argv += ["--json", str(out)]
        if url:
            argv += ["--database-url", url]
        started = time.time()
        failed = run_script(argv, f"jobs-{database}", timeout=2000, source=source)
        # The stamped copy it writes in bench/results/ is this run's: its figures go into the
        # run's own JSON, so the copy is taken out of results/ (read first where needed).
        written = [
            p
            for p in (HERE / "results").glob("jobs-*.json")
            if p.stat().st_mtime >= started and _same_run(p, database, n)
        ]
        for path in sorted(written, key=lambda p: p.stat().st_mtime):
            if out.exists():
                path.unlink()
            else:
                path.replace(out)
        return failed

    return {"jobs": n, "runs": each_database("jobs", pg_url, stamp, log, one)}


def _same_run(path: Path, database: str, n: int) -> bool:
    """Whether the jobs bench's file ``path`` is of a run like this one (not another's)."""
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return bool(found.get("database") == database and found.get("jobs") == n)


def _safe(url: str) -> str:
    """``url`` without a password."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def main(argv: list[str] | None = None) -> int:
    import report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument("--digest", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--pg-url", default=pg_url_default())
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    def log(message: str) -> None:
        print(f"[bench] {message}", flush=True)

    results: Json = {
        "notify": notifications(args.followers, args.digest, args.pg_url, stamp, log),
        "jobs": jobs(args.jobs, args.pg_url, stamp, log),
    }
    print("\n".join(report.background_sections(results)))
    for target in report.background_targets(results):
        print(f"{target['verdict']} {target['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
