"""A burst of signed Stripe webhook events against ``rostra serve`` (issue 12's target: 1,000
events at concurrency 8 taken at >= 300/s, every event counted exactly once).

The server runs as ``rostra serve`` does, on a fresh database (SQLite by default; any
``--database-url``), with one site whose ``funding.stripe_webhook_secret`` is set and one open
campaign. Each event is a paid ``checkout.session.completed`` of its own session, signed as
Stripe signs (``t=...,v1=`` HMAC-SHA256 of ``"t.payload"``), of 1 to 100 $ drawn from a seeded
generator. After the burst the campaign's totals are read through its JSON and must be the sum
of the amounts and the number of events; then the whole burst is replayed, which must count
nothing. Results go to bench/results/funding-webhooks-<time>.json.

    .venv/bin/python bench/funding_webhooks_bench.py [--events 1000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SECRET = "whsec_bench_0123456789abcdef"
TARGET_PER_SECOND = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _rostra(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "rostra", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"rostra {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def _event(n: int, campaign: str, amount: int) -> bytes:
    obj = {
        "id": f"cs_bench_{n:08d}",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "amount_total": amount,
        "currency": "usd",
        "customer": f"cus_bench_{n % 300}",
        "payment_intent": f"pi_bench_{n:08d}",
        "metadata": {"campaign": campaign, "site": "bench"},
    }
    body = {
        "id": f"evt_bench_{n:08d}",
        "object": "event",
        "created": int(time.time()),
        "type": "checkout.session.completed",
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


def _sign(payload: bytes) -> str:
    t = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


async def _burst(
    url: str, payloads: list[bytes], concurrency: int
) -> tuple[float, list[float], dict[int, int], int]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(p)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    recorded = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def worker() -> None:
            nonlocal recorded
            while not queue.empty():
                payload = queue.get_nowait()
                headers = {"content-type": "application/json", "stripe-signature": _sign(payload)}
                began = time.perf_counter()
                answer = await client.post(
                    "/api/v1/sites/bench/funding/stripe", content=payload, headers=headers
                )
                latencies.append(time.perf_counter() - began)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if answer.status_code == 200:
                    recorded += int(answer.json()["recorded"])

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return elapsed, latencies, statuses, recorded


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--workers", type=int, default=1, help="rostra serve --workers")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rostra-funding-bench-"))
    db = args.database_url or f"sqlite:///{work / 'rostra.db'}"
    port = _free_port()
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": db,
        "ROSTRA_SECRET_KEY": "bench-secret-key-long-enough-0123456789abcdef",
        "ROSTRA_JOBS_IN_PROCESS": "false",
    }
    _rostra(env, "migrate")
    settings = json.dumps({"funding": {"stripe_webhook_secret": SECRET}})
    _rostra(env, "site", "add", "bench", "--settings", settings)
    campaign = _rostra(
        env,
        "campaign",
        "add",
        "bench",
        "--title",
        "Bench drive",
        "--goal",
        "100000000",
        "--currency",
        "USD",
    ).split()[-1]
    log = open(work / "server.log", "wb")  # noqa: SIM115 - the server's, open while it runs
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rostra",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(
                        f"the server did not start; see {work / 'server.log'}"
                    ) from None
                time.sleep(0.1)
        rng = random.Random(12)
        amounts = [rng.randint(1, 100) * 100 for _ in range(args.events)]
        payloads = [_event(n, campaign, a) for n, a in enumerate(amounts)]
        load = os.getloadavg()
        elapsed, latencies, statuses, recorded = asyncio.run(
            _burst(url, payloads, args.concurrency)
        )
        with urllib.request.urlopen(f"{url}/api/v1/sites/bench/campaigns/{campaign}") as r:
            after = json.loads(r.read())
        replay_elapsed, _, replay_statuses, replay_recorded = asyncio.run(
            _burst(url, payloads, args.concurrency)
        )
        with urllib.request.urlopen(f"{url}/api/v1/sites/bench/campaigns/{campaign}") as r:
            after_replay = json.loads(r.read())
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    rate = args.events / elapsed
    exact = (
        after["raised_minor"] == sum(amounts)
        and after["donations"] == args.events
        and recorded == args.events
        and replay_recorded == 0
        and after_replay["raised_minor"] == sum(amounts)
        and after_replay["donations"] == args.events
    )
    result = {
        "bench": "funding-webhooks",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": db.split(":", 1)[0],
        "events": args.events,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "seconds": round(elapsed, 3),
        "events_per_second": round(rate, 1),
        "p50_ms": _ms(latencies, 0.5),
        "p99_ms": _ms(latencies, 0.99),
        "mean_ms": round(1000 * statistics.mean(latencies), 2),
        "statuses": statuses,
        "replay_statuses": replay_statuses,
        "replay_events_per_second": round(args.events / replay_elapsed, 1),
        "expected_raised_minor": sum(amounts),
        "raised_minor": after["raised_minor"],
        "donations": after["donations"],
        "donors": after["donors"],
        "recorded": recorded,
        "replay_recorded": replay_recorded,
        "counted_exactly_once": exact,
        "target_per_second": TARGET_PER_SECOND,
        "target_met": exact and rate >= TARGET_PER_SECOND,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load],
        "python": platform.python_version(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.out / f"funding-webhooks-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0 if result["target_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
