"""The Stripe stand-in for the funding tests, and a site set up to take donations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rostra.domain.funding import Totals
from rostra.domain.webhooks import Actor
from rostra.services.funding import CampaignFields, Funding
from rostra.storage.funding import SqlFundingStore
from tests.conftest import LiveServer
from tests.funding import stripe_standin
from tests.funding.stripe_standin import SECRET_KEY, WEBHOOK_SECRET, StandIn

ADMIN = Actor(1, "Ada")
FUNDING = {"stripe_secret_key": SECRET_KEY, "stripe_webhook_secret": WEBHOOK_SECRET}


@pytest.fixture(scope="session")
def standin() -> Iterator[StandIn]:
    served = stripe_standin.start()
    yield served
    served.close()


@pytest.fixture
def settings_overrides(standin: StandIn) -> dict[str, Any]:
    return {"stripe_api_base": standin.url}


def take_donations(server: LiveServer, site: str = "demo", **funding: object) -> None:
    server.store.update_site(site, None, {"funding": {**FUNDING, **funding}})
    server.app.app.ctx.sites.clear()  # the workers' few seconds of cached sites


def add_campaign(server: LiveServer, currency: str = "USD", site: str = "demo") -> str:
    f = Funding(SqlFundingStore(server.store.engines))
    found = server.store.get_site(site)
    assert found is not None
    fields = CampaignFields(title="Winter drive", goal="5000", currency=currency)
    return f.add_campaign(found, fields, ADMIN).public_id


def totals(server: LiveServer, campaign: str, site: str = "demo") -> Totals:
    f = Funding(SqlFundingStore(server.store.engines))
    found = server.store.get_site(site)
    assert found is not None
    return f.campaign(found, campaign).totals


def entry_count(server: LiveServer, campaign: str, site: str = "demo") -> int:
    f = Funding(SqlFundingStore(server.store.engines))
    found = server.store.get_site(site)
    assert found is not None
    return len(f.entries(found, campaign, limit=10_000))
