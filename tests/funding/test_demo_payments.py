"""The demo's payment path, on SQLite and PostgreSQL: with no configuration, a reader's gift
goes through Rostra's real choosing page and "Donate" endpoint to the demo's checkout page, and
confirming it counts the gift through the webhook's own signature check and ledger; a foreign
page cannot confirm one, and a gift the campaign refuses is a readable page that counts nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from rostra.app import create_app
from rostra.config import Settings
from rostra.demo import donations
from tests.conftest import SECRET, LiveServer
from tests.funding.conftest import add_campaign, entry_count, totals

pytestmark = pytest.mark.in_process


@pytest.fixture
def app_factory() -> Callable[[Settings], Any]:
    def build(settings: Settings) -> Any:
        app = create_app(settings, plugins=donations.routes())
        donations.install(app)
        return app

    return build


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


def _seeded(server: LiveServer) -> str:
    site = server.store.get_site("demo")
    assert site is not None
    seeded = donations.seed_payments(server.store, site, SECRET)
    assert seeded.settings.funding["stripe_webhook_secret"] == donations.demo_webhook_secret(SECRET)
    again = donations.seed_payments(server.store, seeded, "another-secret-key-0123456789abcdef")
    assert again.settings.funding == seeded.settings.funding  # seeding twice changes nothing
    return add_campaign(server, "GBP")


def test_a_demo_gift_moves_the_meter_through_the_webhook_code(server: LiveServer) -> None:
    cid = _seeded(server)
    with server.client(headers={"Origin": server.url}, follow_redirects=False) as client:
        chosen = client.post(
            "/f/demo/donate", data={"campaign": cid, "preset": "25", "frequency": "once"}
        )
        assert chosen.status_code == 303
        checkout = chosen.headers["location"]
        assert checkout.startswith("/demo/checkout?")
        page = client.get(checkout)
        assert page.status_code == 200
        assert "Pay £25.00 (demo)" in page.text
        assert totals(server, cid).raised_minor == 0
        paid = client.post(
            "/demo/checkout", data={"campaign": cid, "amount": "2500", "frequency": "once"}
        )
        assert paid.status_code == 303 and paid.headers["location"].startswith("/demo/")
        monthly = client.post(
            "/demo/checkout", data={"campaign": cid, "amount": "1000", "frequency": "monthly"}
        )
        assert monthly.status_code == 303
    t = totals(server, cid)
    assert (t.raised_minor, t.donations) == (3500, 2)
    with server.client() as client:
        meter = client.get("/api/v1/sites/demo/campaigns/" + cid)
    assert meter.json()["raised_minor"] == 3500


def test_a_foreign_page_cannot_confirm_a_demo_payment(server: LiveServer) -> None:
    cid = _seeded(server)
    with server.client(headers={"Origin": "https://evil.example"}) as client:
        answer = client.post("/demo/checkout", data={"campaign": cid, "amount": "2500"})
    assert answer.status_code == 403
    assert entry_count(server, cid) == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "The amount must be more than zero."), ("2.5", "The amount must be more than zero.")],
)
def test_a_refused_demo_gift_is_a_page_and_counts_nothing(
    server: LiveServer, amount: str, message: str
) -> None:
    cid = _seeded(server)
    with server.client(headers={"Origin": server.url}) as client:
        answer = client.post("/demo/checkout", data={"campaign": cid, "amount": amount})
    assert answer.status_code == 422
    assert message in answer.text and "<!doctype html>" in answer.text
    assert entry_count(server, cid) == 0


def test_rostra_demo_with_no_configuration_moves_its_meter(
    server: LiveServer, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real demo: seeded as ``rostra demo`` seeds it, served as it serves it; from the
    support page's "Give by card" to the meter on the article, nothing set by hand."""
    from rostra.config import load_settings
    from rostra.demo.app import create_demo_app
    from rostra.demo.content import ARTICLE
    from rostra.demo.seed import seed_demo
    from tests.conftest import HOST_ORIGIN, serve_app

    monkeypatch.setenv("ROSTRA_SECRET_KEY", SECRET)
    seed_demo(db_url, HOST_ORIGIN)
    seed_demo(db_url, HOST_ORIGIN)  # idempotent: the webhook secret stays
    app = create_demo_app(load_settings(env={}, database_url=db_url, secret_key=SECRET))
    srv, thread, url = serve_app(app)
    try:
        import httpx

        with httpx.Client(base_url=url, timeout=10, follow_redirects=False) as client:
            support = client.get("/demo/support")
            assert 'href="' in support.text and "/demo/give" in support.text
            choose = client.get("/demo/give")
            assert choose.status_code == 303
            page = client.get(choose.headers["location"])
            campaign = re.search(r'name="campaign" value="(cmp_[0-9a-f]{16})"', page.text)
            assert campaign, page.text
            cid = campaign.group(1)
            before = client.get(f"/api/v1/sites/demo/campaigns/{cid}").json()["raised_minor"]
            chosen = client.post(
                "/f/demo/donate",
                data={"campaign": cid, "preset": "25", "frequency": "once"},
                headers={"Origin": url},
            )
            checkout = client.get(chosen.headers["location"])
            assert "Pay £25.00 (demo)" in checkout.text
            paid = client.post(
                "/demo/checkout",
                data={"campaign": cid, "amount": "2500", "frequency": "once"},
                headers={"Origin": url},
            )
            assert paid.status_code == 303
            article = client.get(paid.headers["location"])
            after = client.get(f"/api/v1/sites/demo/campaigns/{cid}").json()["raised_minor"]
        assert after == before + 2500
        assert article.status_code == 200 and ARTICLE.slug in paid.headers["location"]
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
