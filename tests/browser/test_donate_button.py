"""The "Donate" button in real Chromium (README, "Donations through Stripe"): a newsroom's
article page with the campaign's meter and a Donate form makes no request to Stripe, or to
anyone but its own origin and Rostra, until the reader presses the button; pressing it posts to
Rostra, which creates the Checkout Session (the real ``stripe`` client, against the tests'
stand-in of the Stripe API) and sends the browser to Stripe's page for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import HostSite
from tests.conftest import LiveServer
from tests.funding import stripe_standin
from tests.funding.conftest import add_campaign, take_donations
from tests.funding.stripe_standin import StandIn

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors", "embedded")]


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    served = stripe_standin.start()
    yield served
    served.close()


@pytest.fixture
def settings_overrides(standin: StandIn) -> dict[str, Any]:
    return {"stripe_api_base": standin.url}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_nothing_leaves_for_stripe_until_the_reader_presses_donate(
    server: LiveServer, host_site: HostSite, page: Page, standin: StandIn
) -> None:
    take_donations(server)
    cid = add_campaign(server, "EUR")
    host_site.html = f"""<!doctype html><html lang="fr-FR"><head><title>Article</title></head>
<body><h1>La passerelle rouvre</h1>
<script src="{server.url}/static/meter.js" data-site="demo" data-campaign="{cid}" async></script>
<form method="post" action="{server.url}/f/demo/donate">
  <input type="hidden" name="campaign" value="{cid}">
  <input type="hidden" name="preset" value="25">
  <button type="submit" id="donate">Donate</button>
</form></body></html>"""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(host_site.url + "/article")
    page.wait_for_load_state("networkidle")
    assert any("/embed/demo/meter?" in u for u in seen)  # the meter is on the page
    before = len(seen)
    assert {_origin(u) for u in seen} == {host_site.origin, _origin(server.url)}, seen
    assert not [r for r in standin.requests if cid in str(r["params"])]  # no session yet
    with page.expect_navigation(url=f"{standin.url}/c/pay/**"):
        page.click("#donate")
    after = [_origin(u) for u in seen[before:]]
    assert after[0] == _origin(server.url)  # the button posts to Rostra first
    assert _origin(standin.url) in after  # which sends the browser on to Checkout
    sent = standin.requests[-1]["params"]
    assert sent["metadata"] == {"campaign": cid, "site": "demo"}
    assert sent["line_items"]["0"]["price_data"]["unit_amount"] == "2500"
