"""``make bench``: Rostra and Isso side by side under wrk, seeded with the same threads, in one run.

Steps: a venv for Isso in bench/work; Isso (gunicorn, SQLite) and Rostra (production settings,
SQLite, ``rostra serve``) on free loopback ports with one worker per core; identical threads of
10 / 100 / 1,000 / 10,000 comments in both (Rostra through its HTTP API); bounded wrk runs for
each scenario, server and concurrency; a bare ASGI app as the ceiling; then, with the servers
stopped, the notifications and background-jobs scenarios on SQLite and PostgreSQL
(bench/notify_scenarios.py) and the moderation quality scenario (``rostra moderation eval``,
bench/moderation_eval.py); results as JSON and Markdown in bench/results/. Every server started
here is stopped on the way out, Ctrl-C included.

    .venv/bin/python bench/run.py [--duration 8] [--sizes 10,100,1000,10000] [--isso-seed db|api]
        [--no-notify] [--no-jobs] [--no-moderation]
        [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import http.client
import json
import math
import os
import platform
import re
import resource
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import commentgen
import moderation_eval
import notify_scenarios
import report
from procs import PeakSampler, Server, cpu_seconds, host_cpu

Json = dict[str, Any]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "results"
LOGS = WORK / "logs"
ISSO_PINS = ("isso==0.14.0", "gunicorn==27.0.1")
SITE = "bench"
# Like Isso's configuration: no moderation, so the seeded threads are the same on both servers
# (a held comment could not be replied to) and posts measure what Isso's measure.
SITE_SETTINGS: Json = {"moderation": {"enabled": False}}
# Rostra's default moderation pipeline, with its rate limits raised past what one loopback
# client sends (as Isso's guard is), for a second posting figure.
SITE_MOD = "benchmod"
SITE_MOD_SETTINGS: Json = {
    "moderation": {
        "rate_limits": {
            name: 1_000_000
            for name in (
                "reader_per_minute",
                "reader_per_hour",
                "address_per_minute",
                "address_per_hour",
                "anonymous_per_minute",
                "anonymous_per_hour",
                "thread_per_minute",
            )
        }
    }
}
MODERATED = "Rostra JSON, moderated"
# Posting with notifications on: a site like ``bench`` whose posting thread has followers, each
# mailed at once for every new comment through the local SMTP sink (bench/smtp_sink.py).
SITE_NOTIFY = "benchnotify"
NOTIFIED = "Rostra JSON, notifications on"
# Processes that are not servers under test (the SMTP sink), stopped with the servers.
HELPERS: list[subprocess.Popen[str]] = []
PAGE_ROOTS = 20
COUNT_THREADS = 40
WRK_TIMEOUT = 60  # seconds: a request slower than this is "no answer"
NCPU = os.cpu_count() or 1
DEFAULT_SIZES = [10, 100, 1000, 10000]
DEFAULT_CONCS = [1, 16, 64]
API = f"/api/v1/sites/{SITE}"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


# -- the data ---------------------------------------------------------------------------------
def big_uri(size: int) -> str:
    return f"/bench/t{size}"


def make_threads(sizes: list[int]) -> dict[str, list[commentgen.GenComment]]:
    """The seeded threads: one per size (seed = size), plus small ones for the counts scenario."""
    threads = {big_uri(n): commentgen.thread(n, seed=n) for n in sizes}
    for i in range(COUNT_THREADS - len(sizes)):
        threads[f"/news/article-{i}"] = commentgen.thread(1 + i % 5, seed=100_000 + i)
    return threads


# -- HTTP helpers -----------------------------------------------------------------------------
def request(
    conn: http.client.HTTPConnection, method: str, path: str, body: Any = None
) -> tuple[int, bytes, dict[str, str]]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    payload = resp.read()
    return resp.status, payload, {k.lower(): v for k, v in resp.getheaders()}


def timed_request(
    server: Server, path: str, body_file: Path | None, timeout: float = WRK_TIMEOUT
) -> tuple[float | None, bytes]:
    """One request on a fresh connection: (seconds, body), or (None, b"") with no answer in time."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    body = json.loads(body_file.read_text()) if body_file else None
    started = time.perf_counter()
    try:
        status, payload, _ = request(conn, "POST" if body_file else "GET", path, body)
    except (TimeoutError, OSError):
        return None, b""
    finally:
        conn.close()
    if not 200 <= status < 300:
        raise RuntimeError(f"{server.name} answered {status} to {path}: {payload[:300]!r}")
    return time.perf_counter() - started, payload


# -- Isso -------------------------------------------------------------------------------------
def ensure_isso_venv() -> Path:
    venv = WORK / "isso-venv"
    marker = venv / (".installed-" + "-".join(ISSO_PINS).replace("==", "_"))
    if not marker.exists():
        log(f"creating {venv} with {' '.join(ISSO_PINS)}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        with open(LOGS / "pip-isso.log", "wb") as out:
            subprocess.run(
                [str(venv / "bin/pip"), "install", "--disable-pip-version-check", *ISSO_PINS],
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        marker.touch()
    return venv


def isso_config(port: int, db: Path) -> Path:
    cfg = WORK / "isso.cfg"
    cfg.write_text(
        f"""# Written by bench/run.py: Isso on loopback for the benchmark.
[general]
dbpath = {db}
# Isso wants a host; it only feeds CORS and a start-up probe here.
host = http://127.0.0.1:{port}/
notify = stdout
reply-notifications = false
gravatar = false
latest-enabled = false

[admin]
enabled = false

[moderation]
# Off: new comments are published at once, as on Rostra's default site.
enabled = false

[server]
listen = http://127.0.0.1:{port}
reload = false
profile = false

[guard]
# Kept on, as in production, with limits far above what one loopback client sends.
enabled = true
ratelimit = 1000000
direct-reply = 1000000
reply-to-self = true
require-author = false
require-email = false

[markup]
renderer = mistune
"""
    )
    return cfg


def isso_server(venv: Path, cfg: Path, port: int) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISSO_", "ROSTRA_"))}
    env["ISSO_SETTINGS"] = str(cfg)
    argv = [
        str(venv / "bin/gunicorn"),
        *("-b", f"127.0.0.1:{port}", "-w", str(NCPU), "-k", "sync"),
        # gunicorn's default 30 s timeout would kill workers on Isso's slowest answers.
        *("--timeout", "300", "--preload", "--worker-tmp-dir", "/dev/shm"),
        "isso.run",
    ]
    return Server("isso", port, argv, env, LOGS / "isso.log", "/config", NCPU)


def seed_isso_db(venv: Path, cfg: Path, threads: dict[str, list[commentgen.GenComment]]) -> Json:
    spec = [
        {
            "uri": uri,
            "title": f"Benchmark thread {uri}",
            "comments": [
                {
                    "parent": c.parent,
                    "author": c.author,
                    "email": c.email,
                    "website": c.website,
                    "text": c.text,
                }
                for c in comments
            ],
        }
        for uri, comments in threads.items()
    ]
    spec_file = WORK / "isso-threads.json"
    spec_file.write_text(json.dumps(spec))
    out = subprocess.run(
        [str(venv / "bin/python"), str(HERE / "isso_seed.py"), "--config", str(cfg)]
        + ["--threads", str(spec_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: Json = json.loads(out.stdout.strip().splitlines()[-1])
    return {"via": "db", **result}


def seed_over_http(
    server: Server,
    threads: dict[str, list[commentgen.GenComment]],
    post: Callable[[http.client.HTTPConnection, str, commentgen.GenComment, str | None], str],
) -> Json:
    """Post every thread through the server's API; threads in parallel, each one in order."""

    def one(uri: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        ids: list[str] = []
        try:
            for c in threads[uri]:
                ids.append(post(conn, uri, c, None if c.parent is None else ids[c.parent]))
        finally:
            conn.close()
        return len(ids)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(threads)) as pool:
        written = sum(pool.map(one, list(threads)))
    seconds = time.perf_counter() - started
    return {
        "via": "http",
        "written": written,
        "seconds": round(seconds, 2),
        "per_s": round(written / seconds, 1),
        "parallel_threads": len(threads),
    }


def isso_post(
    conn: http.client.HTTPConnection, uri: str, c: commentgen.GenComment, parent: str | None
) -> str:
    body: Json = {"text": c.text, "author": c.author, "email": c.email, "website": c.website}
    body["title"] = f"Benchmark thread {uri}"
    if parent is not None:
        body["parent"] = int(parent)
    status, payload, _ = request(conn, "POST", f"/new?uri={q(uri)}", body)
    if status != 201:
        raise RuntimeError(f"Isso refused a seed comment: {status} {payload[:300]!r}")
    return str(json.loads(payload)["id"])


# -- Rostra -----------------------------------------------------------------------------------
def rostra_source(ref: str | None) -> tuple[str, Path | None]:
    """Which Rostra to measure: the working tree, or ``ref``'s src/ exported from git (read only:
    ``git archive``), for a committed state while the tree is mid-edit or to compare commits."""
    git = ["git", "-C", str(ROOT)]
    if ref is None:
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True
        ).stdout.strip()
        return (commit + " + uncommitted changes" if dirty else commit), None
    commit = subprocess.run(
        [*git, "rev-parse", "--short", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    target = WORK / f"rostra-{commit}"
    if not (target / "src/rostra").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run([*git, "archive", commit, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return commit, target / "src"


def rostra_env(db: Path, source: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISSO_", "ROSTRA_"))}
    if source is not None:
        # Ahead of the venv's editable install of the working tree.
        env["PYTHONPATH"] = str(source)
    env.update(
        ROSTRA_PRODUCTION="1",
        ROSTRA_SECRET_KEY=secrets.token_urlsafe(48),
        ROSTRA_DATABASE_URL=f"sqlite:///{db}",
    )
    return env


def known_settings(settings: Json, source: str | None) -> Json:
    """``settings`` without the rate limits the measured Rostra does not have yet: an older
    commit (``--rostra-ref``) refuses a policy with unknown keys and would hold every comment."""
    code = (Path(source) if source else ROOT / "src") / "rostra/moderation/phases/rate_limits.py"
    text = code.read_text(encoding="utf-8")
    limits = settings["moderation"]["rate_limits"]
    kept = {name: value for name, value in limits.items() if f"{name}:" in text}
    return {"moderation": {**settings["moderation"], "rate_limits": kept}}


def rostra_server(env: dict[str, str], port: int) -> Server:
    rostra = str(ROOT / ".venv/bin/rostra")
    # Production mode needs the address readers use; links and cookies are built from it.
    env = env | {"ROSTRA_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    origin = ["--origin", "http://127.0.0.1"]
    mod_settings = known_settings(SITE_MOD_SETTINGS, env.get("PYTHONPATH"))
    for step in (
        ["migrate"],
        ["site", "add", SITE, *origin, "--settings", json.dumps(SITE_SETTINGS)],
        ["site", "add", SITE_MOD, *origin, "--settings", json.dumps(mod_settings)],
        ["site", "add", SITE_NOTIFY, *origin, "--settings", json.dumps(SITE_SETTINGS)],
    ):
        subprocess.run([rostra, *step], env=env, check=True, capture_output=True)
    argv = [rostra, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(NCPU)]
    return Server("rostra", port, argv, env, LOGS / "rostra.log", "/healthz", NCPU)


def rostra_post(
    conn: http.client.HTTPConnection, uri: str, c: commentgen.GenComment, parent: str | None
) -> str:
    body: Json = {"thread": uri, "body": c.text, "title": f"Benchmark thread {uri}"}
    if c.author:
        body["author"] = c.author
    if c.email:
        body["email"] = c.email
    if parent is not None:
        body["parent"] = parent
    status, payload, _ = request(conn, "POST", f"{API}/comments", body)
    if status != 201:
        raise RuntimeError(f"Rostra refused a seed comment: {status} {payload[:300]!r}")
    return str(json.loads(payload)["comment"]["id"])


# -- what is measured -------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    """One URL of one server in one scenario, and how to check its answer."""

    scenario: str  # page | thread | counts | post
    label: str  # the server as the table names it
    server: Server
    size: int  # comments in the thread (0 for counts and posting)
    path: str
    body_file: Path | None = None
    check: Callable[[bytes], str | None] | None = None


def rostra_tree_size(nodes: list[Json]) -> int:
    return sum(1 + rostra_tree_size(n.get("replies", [])) for n in nodes)


def check_rostra_page(roots: int, total: int) -> Callable[[bytes], str | None]:
    def check(payload: bytes) -> str | None:
        data = json.loads(payload)
        if len(data["comments"]) != roots or data["total_comments"] != total:
            return f"{len(data['comments'])} roots / {data['total_comments']} comments"
        return None

    return check


def check_rostra_thread(total: int) -> Callable[[bytes], str | None]:
    def check(payload: bytes) -> str | None:
        found = rostra_tree_size(json.loads(payload)["comments"])
        return None if found == total else f"{found} comments in the tree"

    return check


def check_rostra_html(roots: int) -> Callable[[bytes], str | None]:
    def check(payload: bytes) -> str | None:
        found = payload.count(b'data-depth="0"')
        return None if found == roots else f"{found} top-level comments in the HTML"

    return check


def check_isso(roots: int, total: int, whole: bool) -> Callable[[bytes], str | None]:
    def check(payload: bytes) -> str | None:
        data = json.loads(payload)
        shown = len(data["replies"])
        in_tree = shown + sum(len(r.get("replies", [])) for r in data["replies"])
        if shown != roots or data["total_replies"] != total:
            return f"{shown} roots / {data['total_replies']} total"
        if whole and in_tree != total:
            return f"{in_tree} comments in the answer"
        return None

    return check


def cell_seconds(base: int, single: float, conc: int) -> int:
    """How long to run wrk: ``base``, or long enough for queued slow requests to come back."""
    expected = single * max(1.0, conc / NCPU)  # CPU-bound servers queue beyond one per core
    if expected * 3 <= base:
        return base
    return int(min(WRK_TIMEOUT, max(base, math.ceil(2 * expected + single))))


class Bench:
    """Runs cells (endpoint x concurrency) and keeps their results."""

    def __init__(self, base_seconds: int, servers: list[Server]) -> None:
        self.base = base_seconds
        self.servers = servers
        self.cells: list[Json] = []
        self.checks: list[Json] = []
        self.tag = secrets.token_hex(3)

    # -- keeping the machine quiet between cells ---------------------------------------------
    def settle(self, busy: Server | None = None, backlog_s: float = 0.0) -> None:
        """Wait until every server is idle; restart one still busy after 20 s.

        ``busy`` has about ``backlog_s`` seconds of queued work left (wrk closes its sockets at
        the end of a run, but a sync worker still computes every answer it accepted): past 20 s
        it is restarted at once instead of waited for.
        """
        for server in self.servers:
            if server.proc is None:
                continue
            if server is busy and backlog_s > 20:
                log(f"restarting {server.name}: about {backlog_s:.0f} s of queued work left")
                server.restart()
                continue
            deadline = time.monotonic() + 20
            while not server.idle():
                if time.monotonic() > deadline:
                    log(f"restarting {server.name}: still busy after 20 s")
                    server.restart()
                    break

    def warm(self, ep: Endpoint, record: bool = True) -> float | None:
        """Check the answer, warm every worker up and time one warm request (none measured).

        The first request is timed too and kept as ``first_s``: it is the answer before any
        cache in that worker holds the thread (Rostra) or before lazy imports ran (Isso).
        """
        first, payload = timed_request(ep.server, ep.path, ep.body_file)
        problem = "no answer in 60 s" if first is None else None
        if first is not None and ep.check is not None:
            problem = ep.check(payload)
        single = first
        if first is not None and first < 0.5:
            self.wrk(ep, 2 * NCPU, 1, record=False)
            again = [timed_request(ep.server, ep.path, ep.body_file)[0] for _ in range(3)]
            single = min([first] + [t for t in again if t is not None])
        elif first is not None and first < 20:
            # Slow answers: one more request warms a second worker and gives a warm timing.
            second = timed_request(ep.server, ep.path, ep.body_file)[0]
            single = first if second is None else min(first, second)
        if not record:
            return single
        self.checks.append(
            {
                "scenario": ep.scenario,
                "server": ep.label,
                "size": ep.size,
                "path": ep.path,
                "ok": problem is None,
                "problem": problem,
                "bytes": len(payload),
                "first_s": None if first is None else round(first, 6),
                "single_s": None if single is None else round(single, 6),
            }
        )
        if problem:
            log(f"CHECK {ep.label} {ep.scenario} {ep.size}: {problem}")
        return single

    # -- one measurement ---------------------------------------------------------------------
    def wrk(
        self,
        ep: Endpoint,
        conc: int,
        seconds: int,
        record: bool = True,
        extra: Json | None = None,
        tag: str = "run",
    ) -> Json:
        threads = 1 if conc == 1 else 2
        if ep.scenario == "post":
            script = HERE / "lua/post.lua"
            assert ep.body_file is not None
            args = [ep.server.name, ep.path, str(ep.body_file), f"{self.tag}{tag}c{conc}"]
        else:
            script = HERE / "lua/read.lua"
            args = [ep.path] + ([str(ep.body_file)] if ep.body_file else [])
        argv = ["wrk", f"-t{threads}", f"-c{conc}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT}s"]
        argv += ["-s", str(script), ep.server.url, "--", *args]
        pids = ep.server.pids()
        cpu0, host0, wall0 = cpu_seconds(pids), host_cpu(), time.perf_counter()
        child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        with PeakSampler(ep.server.pids) as sampler:
            proc = subprocess.run(
                argv, capture_output=True, text=True, timeout=seconds + WRK_TIMEOUT + 30
            )
        wall = time.perf_counter() - wall0
        child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        host1 = host_cpu()
        server_cpu = cpu_seconds(ep.server.pids()) - cpu0
        wrk_cpu = (child1.ru_utime - child0.ru_utime) + (child1.ru_stime - child0.ru_stime)
        host_busy = (host1[0] - host0[0]) / max(1, host1[1] - host0[1]) * NCPU * 100
        match = re.search(r"^WRKJSON (.*)$", proc.stdout, re.M)
        if match is None:
            # Keep going with the other cells, but say what happened and to whom.
            alive = ep.server.proc is not None and ep.server.proc.poll() is None
            note = f"wrk failed ({(proc.stderr or proc.stdout).strip()[-200:]})"
            note += "" if alive else f"; {ep.server.name} had exited"
            log(f"{ep.scenario} {ep.label} {ep.size} c={conc}: {note}")
            ep.server.restart()
            raw: Json = {
                "requests": 0,
                "duration_us": seconds * 1_000_000,
                "bytes": 0,
                "errors": {},
                "latency_us": {},
            }
            extra = {**(extra or {}), "note": note}
        else:
            raw = json.loads(match.group(1))
        n = raw["requests"]
        lat = raw["latency_us"]
        errors = raw["errors"]
        cell: Json = {
            "scenario": ep.scenario,
            "server": ep.label,
            "size": ep.size,
            "conc": conc,
            "wrk_threads": threads,
            "seconds": seconds,
            "requests": n,
            "rps": round(n / (raw["duration_us"] / 1e6), 2) if n else 0.0,
            "p50_ms": round(lat["p50"] / 1000, 3) if n else None,
            "p90_ms": round(lat["p90"] / 1000, 3) if n else None,
            "p99_ms": round(lat["p99"] / 1000, 3) if n else None,
            "max_ms": round(lat["max"] / 1000, 3) if n else None,
            "errors": errors,
            "statuses": raw.get("statuses") or {},
            "bytes_per_response": round(raw["bytes"] / n) if n else None,
            "answered": n > 0,
            "server_cpu_pct": round(100 * server_cpu / wall),
            "wrk_cpu_pct": round(100 * wrk_cpu / wall),
            "other_cpu_pct": max(0, round(host_busy - 100 * (server_cpu + wrk_cpu) / wall)),
            "peak_rss_mb": round(sampler.peak_rss / 1024, 1),
            "peak_pss_mb": round(sampler.peak_pss / 1024, 1),
            **(extra or {}),
        }
        server = ep.server
        server.peak_kib[0] = max(server.peak_kib[0], sampler.peak_rss)
        server.peak_kib[1] = max(server.peak_kib[1], sampler.peak_pss)
        if record:
            self.cells.append(cell)
            log(
                f"{ep.scenario:6} {ep.label:12} {ep.size:>6} c={conc:<3} "
                + (
                    f"{cell['rps']:>9.1f} req/s  p50 {cell['p50_ms']:.2f} ms  "
                    f"p99 {cell['p99_ms']:.2f} ms  errors {sum(errors.values())}"
                    if n
                    else f"no answer in {seconds} s"
                )
            )
        return cell

    def run_endpoint(self, ep: Endpoint, concs: list[int]) -> None:
        self.run_together([ep], concs)

    def run_together(self, eps: list[Endpoint], concs: list[int]) -> None:
        """Each concurrency for each endpoint in turn, so endpoints compared with each other are
        measured minutes apart at most, under the same conditions."""
        singles = [self.warm(ep) for ep in eps]
        restarts = [ep.server.restarts for ep in eps]
        for conc in concs:
            for i, ep in enumerate(eps):
                single = singles[i]
                if ep.server.restarts != restarts[i] and single is not None and single < 5:
                    # A restarted server needs its workers warmed again; a slow endpoint is
                    # timed by its cells anyway, and probing it again would cost tens of seconds.
                    restarts[i] = ep.server.restarts
                    self.warm(ep, record=False)
                if single is None:
                    # One request alone did not come back within the limit; more cannot.
                    self.cells.append(
                        {
                            "scenario": ep.scenario,
                            "server": ep.label,
                            "size": ep.size,
                            "conc": conc,
                            "seconds": WRK_TIMEOUT,
                            "requests": 0,
                            "rps": 0.0,
                            "answered": False,
                            "note": "a single request gave no answer in 60 s",
                        }
                    )
                    log(f"{ep.scenario:6} {ep.label:12} {ep.size:>6} c={conc:<3} no answer")
                    continue
                seconds = cell_seconds(self.base, single, conc)
                cell = self.wrk(ep, conc, seconds, extra={"single_s": round(single, 6)})
                rate = cell["rps"] or 1 / max(single, 1e-3)
                self.settle(ep.server, backlog_s=conc / rate)
        for ep, single in zip(eps, singles, strict=True):
            if single is None:
                ep.server.restart()  # its workers are still on the request that never came back


# -- the run ----------------------------------------------------------------------------------
def texts_file(name: str) -> Path:
    path = WORK / name
    with open(path, "w", encoding="utf-8") as fh:
        for c in commentgen.thread(2000, seed=99):
            fh.write(json.dumps(c.text)[1:-1] + "\n")
    return path


def published(server: Server, uri: str, site: str = SITE) -> int:
    """How many comments ``uri`` shows, as the server's own counts endpoint says."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        if server.name == "isso":
            _, payload, _ = request(conn, "POST", "/count", [uri])
            return int(json.loads(payload)[0])
        _, payload, _ = request(conn, "POST", f"/api/v1/sites/{site}/counts", {"threads": [uri]})
        return int(json.loads(payload)["counts"][uri])
    finally:
        conn.close()


def machine() -> Json:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return {
        "cpus": NCPU,
        "cpu_model": model,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version.split(" [")[0].strip(),
    }


def versions(venv: Path) -> Json:
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({p: m.version(p) for p in ('isso', 'gunicorn', 'werkzeug', 'mistune')}))"
    )
    isso = json.loads(
        subprocess.run(
            [str(venv / "bin/python"), "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    from importlib.metadata import version

    mine = {p: version(p) for p in ("rostra", "uvicorn", "starlette", "sqlalchemy", "uvloop")}
    return {"isso_side": isso, "rostra_side": mine}


def take_lock() -> int | None:
    """Hold bench/work for this run, or say who holds it. Two runs at once would share databases
    and logs, and on two cores each would measure the other; the lock goes when the process does."""
    fd = os.open(WORK / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        log(f"another bench run (pid {holder}) is using bench/work; wait for it to finish")
        return None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def busy_pct(seconds: float) -> int:
    """CPU in use on the whole machine over ``seconds``, as % of one core (200 = 2 cores busy)."""
    host0 = host_cpu()
    time.sleep(seconds)
    host1 = host_cpu()
    return round((host1[0] - host0[0]) / max(1, host1[1] - host0[1]) * NCPU * 100)


def wait_for_quiet(patience: float) -> int:
    """Wait up to ``patience`` seconds for other work on the machine to die down."""
    deadline = time.monotonic() + patience
    busy = busy_pct(3)
    while busy > 15 and time.monotonic() < deadline:
        log(f"waiting for a quiet machine: {busy}% CPU in use by other processes")
        busy = busy_pct(5)
    if busy > 15:
        log(f"warning: the machine is busy ({busy}% CPU in use); figures will be noisy")
    return busy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 8)))
    default_sizes = ",".join(map(str, DEFAULT_SIZES))
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", default_sizes))
    parser.add_argument("--concurrency", default=",".join(map(str, DEFAULT_CONCS)))
    parser.add_argument("--post-concurrency", type=int, default=8)
    parser.add_argument("--isso-seed", choices=["db", "api"], default="db")
    parser.add_argument("--no-isso", action="store_true", help="measure Rostra only")
    parser.add_argument(
        "--posting-only",
        action="store_true",
        help="measure posting only (the read cells are left out): for comparing write paths",
    )
    parser.add_argument(
        "--rostra-ref", help="measure this git commit's Rostra instead of the working tree"
    )
    parser.add_argument(
        "--no-notify", action="store_true", help="leave out the notifications scenario"
    )
    parser.add_argument("--no-jobs", action="store_true", help="leave out the jobs scenario")
    parser.add_argument(
        "--no-moderation", action="store_true", help="leave out rostra moderation eval"
    )
    parser.add_argument("--notify-followers", type=int, default=1000, help="fan-out size")
    parser.add_argument("--notify-digest", type=int, default=10_000, help="digest subscriptions")
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs for the jobs scenario")
    parser.add_argument(
        "--post-followers",
        type=int,
        default=1,
        help="followers of the thread of the posting cell with notifications on (default 1)",
    )
    parser.add_argument(
        "--post-rounds",
        type=int,
        default=3,
        help="pairs of posting cells without and with notifications, measured in turns "
        "(the report compares their median; default 3)",
    )
    parser.add_argument(
        "--pg-url",
        default=notify_scenarios.pg_url_default(),
        help="PostgreSQL maintenance database the scenarios create their databases from "
        f"(default BENCH_PG_URL or {notify_scenarios.DEFAULT_PG_URL})",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=float(os.environ.get("BENCH_WAIT_QUIET", 120)),
        help="seconds to wait for other processes to go quiet before starting (default 120)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    concs = [int(c) for c in args.concurrency.split(",")]
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    WORK.mkdir(parents=True, exist_ok=True)
    lock = take_lock()
    if lock is None:
        return 3
    for name in ("rostra.db", "rostra.db-wal", "rostra.db-shm", "isso.db", "isso.db-wal"):
        (WORK / name).unlink(missing_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in LOGS.glob("*.log"):
        if old.name != "pip-isso.log":
            old.unlink()

    servers: list[Server] = []

    def stop_all(*_args: object) -> None:
        for server in servers:
            server.stop()
        for helper in HELPERS:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(helper.pid, signal.SIGKILL)
            helper.wait()

    def on_signal(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    # A shell starts background jobs with SIGINT ignored; Ctrl-C must still stop the bench.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _run(args, sizes, concs, started, stamp, servers)
    except (KeyboardInterrupt, SystemExit):
        log("interrupted: stopping every server this run started")
        raise
    finally:
        stop_all()


def _run(
    args: argparse.Namespace,
    sizes: list[int],
    concs: list[int],
    started: float,
    stamp: str,
    servers: list[Server],
) -> int:
    busy_before = wait_for_quiet(args.wait_quiet)
    started = time.monotonic()  # the time spent waiting is not part of the run
    threads = make_threads(sizes)
    n_comments = sum(len(c) for c in threads.values())
    seeding: Json = {}

    # Isso ----------------------------------------------------------------------------------
    isso: Server | None = None
    venv = ensure_isso_venv()
    if not args.no_isso:
        port = free_port()
        cfg = isso_config(port, WORK / "isso.db")
        if args.isso_seed == "db":
            log(f"seeding Isso's database directly with {n_comments} comments")
            seeding["isso"] = seed_isso_db(venv, cfg, threads)
        isso = isso_server(venv, cfg, port)
        servers.append(isso)
        isso.start()
        if args.isso_seed == "api":
            log(f"seeding Isso over HTTP with {n_comments} comments")
            seeding["isso"] = seed_over_http(isso, threads, isso_post)

    # Rostra --------------------------------------------------------------------------------
    commit, source = rostra_source(args.rostra_ref)
    env = rostra_env(WORK / "rostra.db", source)
    notify_posting = not args.no_notify
    if notify_posting:
        env.update(
            ROSTRA_SMTP_URL=f"smtp://127.0.0.1:{start_sink()}",
            ROSTRA_MAIL_FROM='"Bench" <bench@bench.example>',
        )
    rostra = rostra_server(env, free_port())
    servers.append(rostra)
    rostra.start()
    if notify_posting:
        follow = [str(ROOT / ".venv/bin/python"), str(HERE / "notify_follow.py"), SITE_NOTIFY]
        follow += ["/bench/post", "http://127.0.0.1/bench/post", str(args.post_followers)]
        done = subprocess.run(follow, env=rostra.env, capture_output=True, text=True)
        if done.returncode != 0:  # e.g. a --rostra-ref from before notifications
            notify_posting = False
            lines = (done.stderr or done.stdout).strip().splitlines() or [""]
            log(f"no posting cell with notifications on: {lines[-1][:200]}")
    log(f"seeding Rostra over HTTP with {n_comments} comments")
    seeding["rostra"] = seed_over_http(rostra, threads, rostra_post)
    log(f"seeded: {json.dumps(seeding)}")
    for server in servers:
        for uri, comments in threads.items():
            found = published(server, uri)
            if found != len(comments):
                raise RuntimeError(f"{server.name} holds {found} comments in {uri}")

    bench = Bench(args.duration, servers)
    bench.settle()
    for server in servers:
        server.measure_idle()

    counts_threads = list(threads)
    rostra_counts = WORK / "counts-rostra.json"
    rostra_counts.write_text(json.dumps({"threads": counts_threads}))
    isso_counts = WORK / "counts-isso.json"
    isso_counts.write_text(json.dumps(counts_threads))

    endpoints: list[Endpoint] = []
    for n in sizes:
        gen = threads[big_uri(n)]
        roots = commentgen.roots(gen)
        page = min(PAGE_ROOTS, roots)
        uri = q(big_uri(n))
        if n > PAGE_ROOTS:  # a thread with at most 20 comments is its own first page
            endpoints += [
                Endpoint(
                    "page",
                    "Rostra JSON",
                    rostra,
                    n,
                    f"{API}/comments?thread={uri}&sort=oldest&limit={PAGE_ROOTS}",
                    check=check_rostra_page(page, n),
                ),
                Endpoint(
                    "page",
                    "Rostra HTML",
                    rostra,
                    n,
                    f"/embed/{SITE}/thread?thread={uri}&sort=oldest&limit={PAGE_ROOTS}",
                    check=check_rostra_html(page),
                ),
            ]
            if isso:
                endpoints.append(
                    Endpoint(
                        "page",
                        "Isso",
                        isso,
                        n,
                        f"/?uri={uri}&sort=oldest&limit={PAGE_ROOTS}",
                        check=check_isso(page, n, whole=False),
                    )
                )
        endpoints.append(
            Endpoint(
                "thread",
                "Rostra JSON",
                rostra,
                n,
                f"{API}/comments?thread={uri}&sort=oldest&all=1",
                check=check_rostra_thread(n),
            )
        )
        if isso:
            endpoints.append(
                Endpoint(
                    "thread",
                    "Isso",
                    isso,
                    n,
                    f"/?uri={uri}&sort=oldest",
                    check=check_isso(roots, n, whole=True),
                )
            )
    endpoints.append(Endpoint("counts", "Rostra JSON", rostra, 0, f"{API}/counts", rostra_counts))
    if isso:
        endpoints.append(Endpoint("counts", "Isso", isso, 0, "/count", isso_counts))

    # Rostra's cells, then Isso's (slowest last), then posting. The bare app runs beside the
    # Rostra endpoint it copies, cell for cell, since the two are compared.
    reported = list(servers)
    if args.posting_only:
        endpoints = []
    bare_size = 1000 if 1000 in sizes else max(n for n in sizes if n > PAGE_ROOTS)
    bare_path = f"{API}/comments?thread={q(big_uri(bare_size))}&sort=oldest&limit={PAGE_ROOTS}"
    for ep in [e for e in endpoints if e.server is rostra]:
        if ep.path != bare_path:
            bench.run_endpoint(ep, concs)
            continue
        bare = start_bare(rostra, bare_path)
        servers.append(bare)
        ceiling = Endpoint("page", "bare ASGI", bare, bare_size, bare_path, check=same_bytes())
        bench.run_together([ep, ceiling], concs)
        bare.stop()
        servers.remove(bare)
        reported.append(bare)

    for ep in [e for e in endpoints if e.server is isso]:
        bench.run_endpoint(ep, concs)

    texts = texts_file("post-texts.txt")
    posts = [
        (Endpoint("post", "Rostra JSON", rostra, 0, f"{API}/comments", texts), SITE),
        (
            Endpoint("post", MODERATED, rostra, 0, f"/api/v1/sites/{SITE_MOD}/comments", texts),
            SITE_MOD,
        ),
    ]
    if notify_posting:
        posts.append(
            (
                Endpoint(
                    "post", NOTIFIED, rostra, 0, f"/api/v1/sites/{SITE_NOTIFY}/comments", texts
                ),
                SITE_NOTIFY,
            )
        )
    if isso:
        posts.append(
            (Endpoint("post", "Isso", isso, 0, f"/new?uri={q('/bench/post')}", texts), SITE)
        )
    for ep, site in posts:
        # Creates the thread and warms up, under other nonces than the measured run's.
        bench.wrk(ep, args.post_concurrency, 1, record=False, tag="warm")
        if ep.label == NOTIFIED:
            wait_for_jobs(WORK / "rostra.db", 120)  # the warm-up's mails
        before = published(ep.server, "/bench/post", site)
        cell = bench.wrk(ep, args.post_concurrency, args.duration)
        cell["stored"] = published(ep.server, "/bench/post", site) - before
        if ep.label == NOTIFIED:
            # The mails wait in the jobs queue while posts come in; how long they take after.
            cell["followers"] = args.post_followers
            cell["mails_done_after_s"] = wait_for_jobs(WORK / "rostra.db", 120)
            notified = (ep, cell)
        bench.settle()
    if notify_posting and args.post_rounds > 1:
        notified[1]["rounds"] = post_rounds(bench, posts[0][0], *notified, args)

    # Notifications, background jobs and moderation quality: scripts of their own, with the
    # servers stopped (they would only take memory and a little CPU from them), on the measured
    # Rostra's code.
    background: Json = {}
    if not args.posting_only and not (args.no_notify and args.no_jobs and args.no_moderation):
        for server in servers:
            server.stop()
        if not args.no_notify:
            background["notify"] = notify_scenarios.notifications(
                args.notify_followers, args.notify_digest, args.pg_url, stamp, log, source
            )
        if not args.no_jobs:
            background["jobs"] = notify_scenarios.jobs(args.jobs, args.pg_url, stamp, log, source)
        if not args.no_moderation:
            background["moderation"] = moderation_eval.evaluate(source, log)

    memory = {
        s.name: {
            "processes": s.idle_procs,
            "idle_rss_mb": round(s.idle_kib[0] / 1024, 1),
            "idle_pss_mb": round(s.idle_kib[1] / 1024, 1),
            "peak_rss_mb": round(s.peak_kib[0] / 1024, 1),
            "peak_pss_mb": round(s.peak_kib[1] / 1024, 1),
            "restarts": s.restarts,
        }
        for s in reported
    }
    results: Json = {
        "timestamp": stamp,
        "machine": {**machine(), "busy_before_pct": busy_before, "rostra_commit": commit},
        "versions": versions(venv),
        "settings": {
            "duration_s": args.duration,
            "wrk_timeout_s": WRK_TIMEOUT,
            "wrk_threads": "1 at c=1, else 2 (wrk shares the cores with the servers)",
            "workers": NCPU,
            "sizes": sizes,
            "concurrency": concs,
            "post_concurrency": args.post_concurrency,
            "post_followers": args.post_followers if not args.no_notify else None,
            "page_roots": PAGE_ROOTS,
            "counts_threads": len(counts_threads),
            "isso_seed": args.isso_seed,
            "database": "SQLite (WAL for Rostra), one file per server in bench/work",
        },
        "seeding": seeding,
        "checks": bench.checks,
        "cells": bench.cells,
        "memory": memory,
        **background,
        "elapsed_s": round(time.monotonic() - started),
    }
    results["targets"] = report.targets(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=1) + "\n")
    markdown = report.markdown(results)
    (RESULTS / f"{stamp}.md").write_text(markdown)
    full = (
        sizes == DEFAULT_SIZES
        and concs == DEFAULT_CONCS
        and not (
            args.no_isso
            or args.posting_only
            or args.no_notify
            or args.no_jobs
            or args.no_moderation
        )
        and (args.notify_followers, args.notify_digest, args.jobs) == (1000, 10_000, 100_000)
        and args.post_followers == 1
    )
    if full:
        (RESULTS / "latest.md").write_text(markdown)
    else:
        log(
            "a partial run (sizes, concurrency, servers or scenarios left out or smaller): "
            "latest.md is left as it was"
        )
    print(markdown)
    for t in results["targets"]:
        print(f"{t['verdict']} {t['text']}")
    log(f"results in {RESULTS / stamp}.json and .md ({results['elapsed_s']} s in all)")
    return 0


def start_sink() -> int:
    """bench/smtp_sink.py in a process group of its own (stopped with the servers); its port."""
    sink = subprocess.Popen(
        [sys.executable, str(HERE / "smtp_sink.py")],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    HELPERS.append(sink)
    assert sink.stdout is not None
    return int(sink.stdout.readline())


def post_rounds(
    bench: Bench, plain_ep: Endpoint, notify_ep: Endpoint, notified: Json, args: argparse.Namespace
) -> list[Json]:
    """Posting without and with notifications, again, in turns: one posting cell on this VM
    varies by up to 30 % from the next, so the share the goal is about is read from several
    pairs measured side by side (the report takes their median). The first pair is the cells
    recorded above; each later pair posts under nonces of its own."""
    plain = next(c for c in bench.cells if (c["scenario"], c["server"]) == ("post", plain_ep.label))
    rounds: list[Json] = [{"plain": plain["rps"], "notified": notified["rps"]}]
    for n in range(2, args.post_rounds + 1):
        pair: Json = {}
        for key, ep in (("plain", plain_ep), ("notified", notify_ep)):
            cell = bench.wrk(ep, args.post_concurrency, args.duration, record=False, tag=f"r{n}")
            pair[key] = cell["rps"]
            if key == "notified":
                wait_for_jobs(WORK / "rostra.db", 120)
            bench.settle()
        log(
            f"post round {n}: {pair['plain']:.1f} req/s without notifications, "
            f"{pair['notified']:.1f} with ({pair['notified'] / max(pair['plain'], 1e-9):.0%})"
        )
        rounds.append(pair)
    return rounds


def wait_for_jobs(db: Path, patience: float) -> float | None:
    """Seconds until no notification job in Rostra's database ``db`` waits any longer (None:
    still some after ``patience``)."""
    started = time.monotonic()
    while time.monotonic() - started < patience:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            (waiting,) = conn.execute(
                "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running') "
                "AND kind IN ('notify.published', 'notify.mail')"
            ).fetchone()
        if waiting == 0:
            return round(time.monotonic() - started, 1)
        time.sleep(0.2)
    return None


def start_bare(rostra: Server, path: str) -> Server:
    """Capture Rostra's answer to ``path`` and serve it from memory with the same uvicorn setup."""
    conn = http.client.HTTPConnection("127.0.0.1", rostra.port, timeout=60)
    try:
        status, body, headers = request(conn, "GET", path)
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"Rostra answered {status} to {path}")
    keep = [(k, v) for k, v in headers.items() if k not in ("date", "server")]
    (WORK / "bare-body.bin").write_bytes(body)
    (WORK / "bare-headers.json").write_text(json.dumps(keep))
    port = free_port()
    argv = [sys.executable, str(HERE / "bare_app.py"), "--port", str(port)]
    argv += ["--workers", str(NCPU), "--body", str(WORK / "bare-body.bin")]
    argv += ["--headers", str(WORK / "bare-headers.json")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISSO_", "ROSTRA_"))}
    bare = Server("bare", port, argv, env, LOGS / "bare.log", "/", NCPU)
    bare.start()
    bare.measure_idle()
    return bare


def same_bytes() -> Callable[[bytes], str | None]:
    expected = (WORK / "bare-body.bin").read_bytes

    def check(payload: bytes) -> str | None:
        return None if payload == expected() else "the bare app's bytes differ from Rostra's"

    return check


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
