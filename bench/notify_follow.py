"""Followers for ``make bench``'s posting cell with notifications on (bench/run.py): N confirmed
addresses follow one thread of a site, each mailed at once for every new comment. Written
through Rostra's own services into the database of the server under test, whose ``ROSTRA_*``
settings come from the environment (its secret key seals the addresses).

    ROSTRA_...=... .venv/bin/python bench/notify_follow.py SITE THREAD URL N
"""

from __future__ import annotations

import sys

from rostra.app import subscription_service
from rostra.config import load_settings
from rostra.domain.clock import utc_now
from rostra.domain.subscriptions import Cadence, NotifyChoice
from rostra.storage.database import create_engines
from rostra.storage.repository import SqlStore


def main(argv: list[str]) -> int:
    slug, thread_id, url, n = argv[1], argv[2], argv[3], int(argv[4])
    settings = load_settings()
    store = SqlStore(create_engines(settings.database_url))
    try:
        site = store.get_site(slug)
        if site is None:
            raise SystemExit(f"no site {slug!r}")
        subs = subscription_service(settings, store)
        now = utc_now()
        with store.write() as tx:
            thread = tx.get_or_create_thread(site.id, thread_id, url, thread_id, now, True)
            assert thread is not None
            for i in range(n):
                address = f"follower{i}@bench.example"
                wish = subs.wish(site, NotifyChoice.THREAD, address, cadence=Cadence.IMMEDIATE)
                assert wish is not None
                sub = subs.record(tx, wish, thread, None, now, counted=True)
                nonce = tx.confirm_nonce(sub.subscriber_id)
                if nonce is not None:
                    tx.confirm_subscriber(sub.subscriber_id, nonce, now)
    finally:
        store.close()
    print(f"{n} confirmed followers of {thread_id} on {slug}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
