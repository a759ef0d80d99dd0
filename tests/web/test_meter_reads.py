"""The meter's reads on a database without a change stamp (PostgreSQL's path, run here on both
databases): requests that arrive together share one read of the campaign; a request that comes
after a donation, with no read under way, reads it afresh; a request during a read gets the last
read's answer only while it is under a second old."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

from rostra.domain.funding import Campaign
from rostra.domain.models import Site
from rostra.domain.webhooks import Actor
from rostra.services.funding import CampaignFields, Funding, OfflineDonation
from rostra.storage.funding import SqlFundingStore
from rostra.storage.repository import SqlStore
from rostra.web.pages import meter
from tests.helpers import run_coroutine

ADMIN = Actor(1, "Ada")


class CountingFunding(Funding):
    """The real service over the real store; it counts campaign reads and can hold them."""

    def __init__(self, store: SqlFundingStore) -> None:
        super().__init__(store)
        self.reads = 0
        self.gate = threading.Event()
        self.gate.set()

    def campaign(self, site: Site, public_id: str) -> Campaign:
        self.reads += 1
        self.gate.wait(10)
        return super().campaign(site, public_id)


def give(store: SqlStore, site: Site, cid: str, key: str) -> None:
    """A donation through a service of its own (its reads are not the meter's)."""
    form = OfflineDonation(cid, "10", "USD", "cash", "2026-12-07", key)
    Funding(SqlFundingStore(store.engines)).record_offline(site, form, ADMIN)


def test_concurrent_reads_are_shared_and_a_later_one_is_fresh(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    f = CountingFunding(SqlFundingStore(store.engines))
    cid = f.add_campaign(site, CampaignFields(title="T", goal="100", currency="USD"), ADMIN)
    ctx: Any = SimpleNamespace(campaign_reads={}, campaign_seen={})

    async def run() -> None:
        f.gate.clear()
        together = [
            asyncio.ensure_future(meter._shared_read(ctx, f, site, cid.public_id))
            for _ in range(20)
        ]
        await asyncio.sleep(0)  # let them all start (and join the first read)
        while f.reads == 0:
            await asyncio.sleep(0.01)
        f.gate.set()
        results = await asyncio.gather(*together)
        assert f.reads == 1 and {r.totals.raised_minor for r in results} == {0}
        give(store, site, cid.public_id, "k1")
        fresh = await meter._shared_read(ctx, f, site, cid.public_id)
        assert f.reads == 2 and fresh.totals.raised_minor == 1000
        # A read under way: a request now gets the last answer (it is under a second old) ...
        f.gate.clear()
        give(store, site, cid.public_id, "k2")
        slow = asyncio.ensure_future(meter._shared_read(ctx, f, site, cid.public_id))
        while f.reads < 3:
            await asyncio.sleep(0.01)
        during = await meter._shared_read(ctx, f, site, cid.public_id)
        assert during.totals.raised_minor == 1000
        # ... but not once it is older than that: it waits for the read under way.
        when, last = ctx.campaign_seen[(site.id, cid.public_id)]
        ctx.campaign_seen[(site.id, cid.public_id)] = (when - meter.FRESH_SECONDS, last)
        waiting = asyncio.ensure_future(meter._shared_read(ctx, f, site, cid.public_id))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        f.gate.set()
        assert (await slow).totals.raised_minor == 2000
        assert (await waiting).totals.raised_minor == 2000 and f.reads == 3

    # In a thread of its own: a worker that ran a browser test keeps Playwright's loop running.
    run_coroutine(run)
