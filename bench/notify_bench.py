"""Notifications: a reply's fan-out and a daily digest, through Rostra's own jobs runner.

1. **Fan-out**: one published reply in a thread that ``--followers`` confirmed addresses follow
   (1,000 by default): mails per second from the reply's post to its last mail accepted by a
   local SMTP sink (aiosmtpd in a process of its own, bench/smtp_sink.py).
2. **Daily digest**: ``--digest`` confirmed daily subscriptions (10,000) to two threads, three
   comments published, the clock moved past midnight: seconds to build and send every digest.

The jobs run through Rostra's own runner and handlers (rostra.app.register_notify_jobs), in
this process, on a fresh SQLite database in bench/work/notify (or the PostgreSQL one given).
Prints the figures and writes bench/results/notify-<UTC stamp>.json, or the file ``--json``
names (``make bench`` runs it so, on SQLite and on a fresh PostgreSQL database: bench/run.py,
bench/notify_scenarios.py).

    .venv/bin/python bench/notify_bench.py [--followers 1000] [--digest 10000] [--json PATH]
        [--database-url postgresql://USER@HOST/DB]   # an empty database of its own
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from rostra.app import register_notification_jobs, register_notify_jobs, subscription_service
from rostra.config import load_settings
from rostra.domain.clock import utc_now
from rostra.domain.models import Author
from rostra.domain.subscriptions import Cadence, NotifyChoice
from rostra.jobs.registry import JobHandlers
from rostra.jobs.runner import Runner, RunnerSettings
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.database import create_engines
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.migrate import upgrade
from rostra.storage.repository import SqlStore
from rostra.storage.tables import digest_items, jobs

BENCH = Path(__file__).resolve().parent
QUIET = {"moderation": {"toxicity": {"enabled": False}}}


class Clock:
    def __init__(self) -> None:
        self.at = utc_now()

    def __call__(self) -> datetime:
        return self.at


def follow(store: SqlStore, subs, site, prefix: str, n: int, thread: str, cadence, now) -> None:  # type: ignore[no-untyped-def]
    with store.write() as tx:
        found = tx.get_or_create_thread(
            site.id, thread, "https://news.example/a", thread, now, True
        )
        for i in range(n):
            wish = subs.wish(site, NotifyChoice.THREAD, f"{prefix}{i}@x.example", cadence=cadence)
            sub = subs.record(tx, wish, found, None, now, counted=True)
            nonce = tx.confirm_nonce(sub.subscriber_id)
            if nonce is not None:
                tx.confirm_subscriber(sub.subscriber_id, nonce, now)


def drain(runner: Runner) -> int:
    ran = 0
    while n := runner.run_batch():
        ran += n
    return ran


def count(store: SqlStore, table, *where) -> int:  # type: ignore[no-untyped-def]
    with store.engines.read.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(table).where(*where)).scalar() or 0
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--digest", type=int, default=10_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--json", type=Path, help="write the results here (default: stamped)")
    args = parser.parse_args(argv)

    work = BENCH / "work" / "notify"
    work.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    if not url:
        for old in work.glob("notify.db*"):
            old.unlink()
        url = f"sqlite:///{work / 'notify.db'}"
    sink = subprocess.Popen(
        [sys.executable, str(BENCH / "smtp_sink.py")], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout is not None
    port = int(sink.stdout.readline())
    secret = secrets.token_urlsafe(48)
    settings = load_settings(
        env={},
        database_url=url,
        secret_key=secret,
        smtp_url=f"smtp://127.0.0.1:{port}",
        mail_from='"The Courier" <comments@news.example>',
        public_url="https://comments.news.example",
    )
    engines = create_engines(url)
    upgrade(engines.write)
    store = SqlStore(engines)
    site = store.create_site("demo", "Demo", ["https://news.example"], QUIET)
    clock = Clock()
    subs = subscription_service(settings, store, clock=clock)
    tokens = ReaderTokens(Signer(secret))
    discussion = Discussion(store, tokens, clock=clock, subscriptions=subs)
    handlers = JobHandlers()
    notifier = register_notification_jobs(handlers, settings, store, subs, clock=clock)
    register_notify_jobs(handlers, settings, store)  # notify.confirm
    runner = Runner(SqlJobQueue(engines), handlers, RunnerSettings(batch_size=50), clock=clock)
    author = Author(reader_key=tokens.verify(tokens.issue(site.id), site.id).reader_key)
    result: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
    }
    try:
        # -- 1. one reply, many followers ----------------------------------------------------
        follow(store, subs, site, "f", args.followers, "fan", Cadence.IMMEDIATE, clock())
        drain(runner)  # the confirmation jobs: nothing to send, the addresses are confirmed
        root = discussion.post(site, PostRequest("fan", "A first comment.", "Ana"), author)
        drain(runner)
        started = time.monotonic()
        body = "A reply with **some** words, a [link](https://news.example/b), a list:\n\n- a\n- b"
        discussion.post(
            site, PostRequest("fan", body, "Bob", parent_public_id=root.public_id), author
        )
        drain(runner)
        fan_s = time.monotonic() - started
        sent = count(store, jobs, jobs.c.kind == "notify.mail", jobs.c.state == "done")
        result.update(followers=args.followers, fanout_seconds=round(fan_s, 2))
        result["fanout_mails_per_second"] = round(args.followers / fan_s, 1)
        print(
            f"fan-out: 1 reply to {args.followers} followers: {fan_s:.2f} s, "
            f"{args.followers / fan_s:.0f} mails/s ({sent} mail jobs done in all)"
        )

        # -- 2. the daily digest -------------------------------------------------------------
        half = args.digest // 2
        follow(store, subs, site, "d", half, "digest-a", Cadence.DAILY, clock())
        follow(store, subs, site, "e", args.digest - half, "digest-b", Cadence.DAILY, clock())
        drain(runner)
        started = time.monotonic()
        for thread, text in [("digest-a", "One."), ("digest-a", "Two."), ("digest-b", "Three.")]:
            discussion.post(site, PostRequest(thread, text, "Cleo"), author)
        drain(runner)
        record_s = time.monotonic() - started
        items = count(store, digest_items)
        clock.at = clock.at.replace(hour=0, minute=0, second=0) + timedelta(days=1, seconds=1)
        started = time.monotonic()
        drain(runner)
        digest_s = time.monotonic() - started
        left = count(store, digest_items)
        result.update(
            digest_subscriptions=args.digest,
            digest_items=items,
            digest_record_seconds=round(record_s, 2),
            digest_seconds=round(digest_s, 2),
            digest_items_left=left,
        )
        print(
            f"daily digest: {args.digest} subscriptions, {items} items recorded in "
            f"{record_s:.2f} s; built and sent in {digest_s:.2f} s "
            f"({args.digest / digest_s:.0f} digests/s), {left} left"
        )
    finally:
        if notifier is not None:
            notifier.close()
        store.close()
        sink.terminate()
        out, _ = sink.communicate(timeout=30)
    result["mails_accepted_by_sink"] = int(out.strip() or 0)
    print(f"the sink accepted {result['mails_accepted_by_sink']} mails")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.json or BENCH / "results" / f"notify-{stamp}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
