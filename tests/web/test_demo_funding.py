"""The demo's reader funding (SQLite and PostgreSQL): ``rostra demo`` seeds the Courier's
campaign once (our own figures: £895 of £5,000 in fourteen offline gifts), the article shows
its meter above and below the story, each with the one-tag embed that adopts it and a "Support
the Courier" button, and the button's page says how to give offline."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from starlette.types import ASGIApp

from rostra.config import Settings
from rostra.demo.app import create_demo_app
from rostra.demo.content import SITE_SLUG, THREAD_ID
from rostra.demo.funding_seed import GIFTS, seed_campaign
from rostra.demo.seed import seed_demo
from rostra.domain.funding import Totals
from rostra.services.funding import Funding
from rostra.storage.funding import SqlFundingStore
from tests.conftest import HOST_ORIGIN, SECRET, LiveServer

pytestmark = pytest.mark.in_process


@pytest.fixture
def app_factory() -> Callable[[Settings], ASGIApp]:
    return create_demo_app


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROSTRA_SECRET_KEY", SECRET)


def test_the_demo_seeds_its_campaign_once(server: LiveServer, db_url: str) -> None:
    seed_demo(db_url, HOST_ORIGIN)
    seed_demo(db_url, HOST_ORIGIN)  # idempotent: no second campaign, no gift counted twice
    site = server.store.get_site(SITE_SLUG)
    assert site is not None
    [campaign] = Funding(SqlFundingStore(server.store.engines)).campaigns(site)
    assert (campaign.goal, campaign.currency, campaign.marks()) == (
        500000,
        "GBP",
        (0, 250000, 500000),
    )
    assert sum(int(g[1]) for g in GIFTS) == 895
    # Five gifts came without a name: each is a donor of its own.
    assert campaign.totals == Totals(89500, len(GIFTS), len(GIFTS))


def test_the_article_has_a_meter_above_and_below_and_a_support_button(
    server: LiveServer,
) -> None:
    site = server.store.get_site(SITE_SLUG)
    assert site is not None
    campaign = seed_campaign(server.store.engines, site)
    with server.client() as client:
        page = client.get(f"/demo/{THREAD_ID}", headers={"Accept-Language": "en-GB"})
    assert page.status_code == 200
    body = page.text
    hosts = [m.start() for m in re.finditer(r'<div class="rostra-meter-host">', body)]
    story = body.index('<article class="story"')
    discussion = body.index('<section class="discussion"')
    assert len(hosts) == 2 and hosts[0] < story < hosts[1] < discussion
    sentences = re.findall(r'class="rostra-meter-text"[^>]*>(.*?)</p>', body)
    assert [html.unescape(re.sub("<[^>]+>", "", s)) for s in sentences] == [
        "£895 raised of £5,000"
    ] * 2
    tags = re.findall(r'<script src="[^"]*/static/meter\.js"[^>]*data-campaign="([^"]+)"', body)
    assert tags == [campaign.public_id] * 2
    assert body.count('class="support-button" href="http://127.0.0.1/demo/support"') == 2


def test_the_support_page_says_how_to_give_offline(server: LiveServer) -> None:
    with server.client() as client:
        en = client.get("/demo/support")
        fr = client.get("/demo/support", headers={"Accept-Language": "fr"})
    assert en.status_code == 200 and "Give by cheque" in en.text and "front counter" in en.text
    assert fr.status_code == 200 and "Donner par chèque" in fr.text
