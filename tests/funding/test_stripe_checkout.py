"""The reader's gift over HTTP, on SQLite and PostgreSQL: the "Donate" button posts to Rostra,
which creates a Checkout Session with the real ``stripe`` client (against the stand-in of the
Stripe API) and sends the reader to it; the session names the campaign and the site, in the
campaign's currency, once or monthly; the payment Stripe reports then counts. Bad gifts come
back to the form with the reason, and nothing reaches Stripe."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from rostra.domain.errors import InvalidInput
from rostra.services.funding import CampaignFields, Funding
from rostra.storage.funding import SqlFundingStore
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.funding.conftest import ADMIN, add_campaign, take_donations, totals
from tests.funding.stripe_standin import SECRET_KEY, WEBHOOK_SECRET, StandIn, sign
from tests.helpers import API

pytestmark = pytest.mark.in_process
WEBHOOK = f"{API}/funding/stripe"


def _donate(server: LiveServer, **form: str) -> tuple[int, str, str]:
    with server.client(headers={"Origin": HOST_ORIGIN}, follow_redirects=False) as client:
        answer = client.post("/f/demo/donate", data=form)
    return answer.status_code, answer.headers.get("location", ""), answer.text


def _session_of(standin: StandIn, location: str) -> str:
    found = re.fullmatch(re.escape(standin.url) + r"/c/pay/(cs_test_\d+)", location)
    assert found, location
    return found.group(1)


def _post_event(server: LiveServer, payload: bytes) -> dict[str, object]:
    with server.client() as client:
        answer = client.post(
            WEBHOOK,
            content=payload,
            headers={"content-type": "application/json", "stripe-signature": sign(payload)},
        )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_a_one_off_gift_goes_to_checkout_and_counts_once_paid(
    server: LiveServer, standin: StandIn
) -> None:
    take_donations(server)
    cid = add_campaign(server, "EUR")
    status, location, _ = _donate(server, campaign=cid, preset="25", frequency="once")
    assert status == 303
    session = _session_of(standin, location)
    sent = standin.requests[-1]
    assert sent["auth"] == f"Bearer {SECRET_KEY}"
    params = sent["params"]
    assert params["mode"] == "payment"
    assert params["submit_type"] == "donate"
    price = params["line_items"]["0"]["price_data"]
    assert (price["currency"], price["unit_amount"]) == ("eur", "2500")
    assert "recurring" not in price
    assert params["metadata"] == {"campaign": cid, "site": "demo"}
    assert params["payment_intent_data"]["metadata"] == {"campaign": cid, "site": "demo"}
    assert params["success_url"].startswith(f"{server.url}/f/demo/thanks?campaign={cid}")
    assert params["success_url"].endswith("session_id={CHECKOUT_SESSION_ID}")
    assert params["cancel_url"].startswith(f"{server.url}/f/demo/donate?campaign={cid}")
    assert totals(server, cid).raised_minor == 0  # nothing counts before Stripe says it's paid
    payload = standin.paid(session)
    assert _post_event(server, payload)["recorded"] == 1
    assert totals(server, cid).raised_minor == 2500
    assert _post_event(server, payload)["replayed"] == 1  # Stripe delivers again: counts once
    assert totals(server, cid).raised_minor == 2500 and totals(server, cid).donations == 1


def test_a_typed_amount_wins_over_the_preset(server: LiveServer, standin: StandIn) -> None:
    take_donations(server)
    cid = add_campaign(server)
    status, location, _ = _donate(
        server, campaign=cid, preset="25", amount="12.50", frequency="once"
    )
    assert status == 303
    price = standin.requests[-1]["params"]["line_items"]["0"]["price_data"]
    assert price["unit_amount"] == "1250"
    assert standin.sessions[_session_of(standin, location)]["amount_total"] == 1250


def test_a_monthly_gift_counts_each_month(server: LiveServer, standin: StandIn) -> None:
    take_donations(server)
    cid = add_campaign(server)
    status, location, _ = _donate(server, campaign=cid, preset="10", frequency="monthly")
    assert status == 303
    session = _session_of(standin, location)
    params = standin.requests[-1]["params"]
    assert params["mode"] == "subscription"
    assert params["line_items"]["0"]["price_data"]["recurring"] == {"interval": "month"}
    assert params["subscription_data"]["metadata"] == {"campaign": cid, "site": "demo"}
    # The session's completion moves no money: its first invoice does.
    completed = standin.paid(session, mode="subscription", payment_status="paid")
    completed = completed.replace(b'"invoice.paid"', b'"checkout.session.completed"')
    assert _post_event(server, completed)["ignored"] is True
    assert totals(server, cid).raised_minor == 0
    for month in (1, 2, 3):
        assert _post_event(server, standin.invoice_paid(session, month))["recorded"] == 1
    again = _post_event(server, standin.invoice_paid(session, 3))
    assert again["replayed"] == 1
    t = totals(server, cid)
    assert (t.raised_minor, t.donations, t.donors) == (3000, 3, 1)  # one donor, three payments


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"preset": "1"}, 422, "The smallest gift is 2.00 USD."),
        ({"amount": "0.5"}, 422, "The smallest gift is 2.00 USD."),
        ({"amount": "-5"}, 422, "The amount must be more than zero."),
        ({"amount": "12.345"}, 422, "USD has 2 digits after the point at most."),
        ({"amount": "ten"}, 422, "Write the amount as digits"),
        ({"amount": "5000000"}, 422, "The amount is larger than this server accepts"),
        ({"preset": "10", "frequency": "weekly"}, 422, "Choose a one-off or a monthly gift."),
    ],
)
def test_a_bad_gift_comes_back_to_the_form_and_reaches_no_one(
    server: LiveServer, standin: StandIn, form: dict[str, str], status: int, message: str
) -> None:
    take_donations(server)
    cid = add_campaign(server)
    before = len(standin.requests)
    got, location, text = _donate(server, campaign=cid, **{"frequency": "once", **form})
    assert got == status, text
    assert location == ""
    assert message in text and 'name="amount"' in text  # the form again, with the reason
    assert len(standin.requests) == before


def test_closed_unknown_and_unready_campaigns_are_refused(
    server: LiveServer, standin: StandIn
) -> None:
    cid = add_campaign(server)
    before = len(standin.requests)
    got, _, text = _donate(server, campaign=cid, preset="10")
    assert got == 404 and "does not take donations online yet" in text  # no secret key
    take_donations(server)
    got, _, text = _donate(server, campaign="cmp_0000000000000000", preset="10")
    assert got == 404 and "This campaign does not exist." in text
    site = server.store.get_site("demo")
    assert site is not None
    Funding(SqlFundingStore(server.store.engines)).set_open(site, cid, False, ADMIN)
    got, _, text = _donate(server, campaign=cid, preset="10")
    assert got == 409 and "The campaign Winter drive is closed." in text
    assert len(standin.requests) == before


def test_a_page_the_site_did_not_allow_cannot_start_a_payment(
    server: LiveServer, standin: StandIn
) -> None:
    take_donations(server)
    cid = add_campaign(server)
    before = len(standin.requests)
    with server.client(headers={"Origin": "https://evil.example"}) as client:
        answer = client.post("/f/demo/donate", data={"campaign": cid, "preset": "10"})
    assert answer.status_code == 403
    assert len(standin.requests) == before


def test_a_button_without_an_amount_opens_the_choosing_page(server: LiveServer) -> None:
    take_donations(server, presets=[5, 20], minimum=3)
    cid = add_campaign(server, "CAD")
    got, location, _ = _donate(server, campaign=cid)
    assert got == 303 and location == f"/f/demo/donate?campaign={cid}&lang=en"
    with server.client() as client:
        page = client.get(location)
        thanks = client.get(f"/f/demo/thanks?campaign={cid}&session_id=cs_test_1")
        cancelled = client.get(location + "&cancelled=1&lang=fr")
    assert page.status_code == 200
    assert re.findall(r'name="preset" value="([\d.]+)"', page.text) == ["5.00", "20.00"]
    assert "at least CA$3" in page.text
    assert "<script" not in page.text  # nothing loads from Stripe or anyone else
    assert SECRET_KEY not in page.text and WEBHOOK_SECRET not in page.text
    assert thanks.status_code == 200 and "Winter drive" in thanks.text
    assert "Le paiement a été annulé" in cancelled.text


def test_rostra_site_show_never_prints_the_keys(server: LiveServer) -> None:
    take_donations(server)
    shown = subprocess.run(
        [sys.executable, "-m", "rostra", "site", "show", "demo"],
        env={"ROSTRA_DATABASE_URL": server.store.engines.write.url.render_as_string(False)},
        capture_output=True,
        text=True,
        check=True,
    )
    funding = json.loads(shown.stdout)["settings"]["funding"]
    assert funding == {"stripe_secret_key": "(set)", "stripe_webhook_secret": "(set)"}
    assert SECRET_KEY not in shown.stdout + shown.stderr


def test_a_campaign_s_own_presets_and_minimum_win_over_the_site_s(
    server: LiveServer, standin: StandIn
) -> None:
    take_donations(server, presets=[5, 20], minimum=3)
    cid = add_campaign(server, "JPY")
    site = server.store.get_site("demo")
    assert site is not None
    funding = Funding(SqlFundingStore(server.store.engines))
    funding.update_campaign(
        site, cid, CampaignFields(presets="500,1000,3000", minimum="300"), ADMIN
    )
    with server.client() as client:
        page = client.get(f"/f/demo/donate?campaign={cid}")
    assert re.findall(r'name="preset" value="(\d+)"', page.text) == ["500", "1000", "3000"]
    assert "at least ¥300" in page.text
    got, _, text = _donate(server, campaign=cid, amount="250", frequency="once")
    assert got == 422 and "The smallest gift is 300 JPY." in text
    got, location, _ = _donate(server, campaign=cid, preset="1000", frequency="once")
    assert got == 303
    price = standin.requests[-1]["params"]["line_items"]["0"]["price_data"]
    assert (price["currency"], price["unit_amount"]) == ("jpy", "1000")  # yen have no cents
    with pytest.raises(InvalidInput):  # a preset below the minimum
        funding.update_campaign(site, cid, CampaignFields(presets="100,500"), ADMIN)
    # "" gives the choice back to the site's settings.
    funding.update_campaign(site, cid, CampaignFields(presets="", minimum=""), ADMIN)
    back = funding.campaign(site, cid)
    assert (back.presets, back.minimum_minor) == ((), 0)
