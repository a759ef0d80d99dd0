"""The funding meter in real Chromium, on a newsroom's page on its own origin: the one-tag
embed draws it in a shadow root, it moves without a reload when a donation lands (the script's
poll), a title from the XSS corpus shows as text and runs nothing, axe finds no serious problem
in it, and without JavaScript the fragment the page included is the meter."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from rostra.domain.webhooks import Actor
from rostra.services.funding import CampaignFields, Funding, OfflineDonation
from rostra.storage.funding import SqlFundingStore
from tests.browser.conftest import HostSite
from tests.browser.test_accessibility import blocking, run_axe
from tests.conftest import LiveServer
from tests.unit.test_formatting import PAYLOADS

pytestmark = pytest.mark.browser

ADMIN = Actor(1, "Ada")
POLL_SECONDS = 15  # the script's shortest poll (data-refresh)
MARKER = "window.__xssHits = []; window.__xss = (...a) => window.__xssHits.push(a.join());"


def setup(server: LiveServer, host_site: HostSite, title: str) -> tuple[Funding, str]:
    server.store.update_site("demo", [host_site.url], {})
    f = Funding(SqlFundingStore(server.store.engines))
    site = server.store.get_site("demo")
    assert site is not None
    cid = f.add_campaign(
        site, CampaignFields(title=title, goal="5000", currency="USD"), ADMIN
    ).public_id
    give(f, server, cid, "895", "k1")
    return f, cid


def give(f: Funding, server: LiveServer, cid: str, amount: str, key: str) -> None:
    site = server.store.get_site("demo")
    assert site is not None
    f.record_offline(site, OfflineDonation(cid, amount, "USD", "cash", "2026-12-07", key), ADMIN)


def host(server: LiveServer, cid: str, included: str = "") -> str:
    holder = f'<div class="rostra-meter-host">{included}</div>' if included else ""
    return f"""<!doctype html>
<html lang="en-US"><head><meta charset="utf-8"><title>Support us</title>
<script>{MARKER}</script></head>
<body><main><h1>Harbour bridge reopens</h1>
{holder}<script src="{server.url}/static/meter.js" async data-site="demo"
  data-campaign="{cid}" data-refresh="{POLL_SECONDS}"></script>
<p>The bridge reopened this morning.</p></main></body></html>"""


def meter_text(page: Page) -> Any:
    return page.locator(".rostra-meter-host .rostra-meter-text")


def test_the_meter_moves_without_a_reload(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    f, cid = setup(server, host_site, "Winter drive")
    host_site.html = host(server, cid)
    page.goto(host_site.url)
    expect(meter_text(page)).to_have_text("$895 raised of $5,000")
    assert page.evaluate("() => !!document.querySelector('.rostra-meter-host').shadowRoot")
    bar = page.locator(".rostra-meter-host progress")
    assert bar.get_attribute("value") == "89500" and bar.get_attribute("max") == "500000"
    give(f, server, cid, "105", "k2")
    expect(meter_text(page)).to_have_text(
        "$1,000 raised of $5,000", timeout=(POLL_SECONDS + 15) * 1000
    )
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    results = run_axe(page)
    assert blocking(results) == []


@pytest.mark.parametrize("payload", PAYLOADS[:12])
def test_a_hostile_title_is_text_and_runs_nothing(
    server: LiveServer, host_site: HostSite, page: Page, payload: str
) -> None:
    title = " ".join(payload.split())[:200] or "x"
    _, cid = setup(server, host_site, title)
    host_site.html = host(server, cid)
    page.goto(host_site.url)
    heading = page.locator(".rostra-meter-host .rostra-meter-title")
    expect(heading).to_have_text(title.strip())
    page.wait_for_timeout(300)  # the settle window: image errors and animations have fired
    assert page.evaluate("() => window.__xssHits") == []
    assert (
        page.evaluate(
            "() => [...document.querySelector('.rostra-meter-host').shadowRoot"
            ".querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => "
            "a.name.startsWith('on'))).length"
        )
        == 0
    )


def test_without_javascript_the_included_meter_is_the_meter(
    server: LiveServer, host_site: HostSite, browser: Browser
) -> None:
    _, cid = setup(server, host_site, "Winter drive")
    with server.client() as client:
        fragment = client.get("/embed/demo/meter", params={"campaign": cid, "locale": "en-US"}).text
    host_site.html = host(server, cid, included=fragment)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(host_site.url)
        expect(meter_text(page)).to_have_text("$895 raised of $5,000")
        assert page.locator("progress").text_content() == "$895 raised of $5,000"
    finally:
        context.close()
