"""Stripe's webhooks over HTTP, on SQLite and PostgreSQL, signed exactly as Stripe signs them
(``t=<time>,v1=<HMAC-SHA256 of "t.payload">`` under the site's webhook secret).

A paid session counts its amount towards the campaign in its metadata, once however often it is
delivered; refunds (listed or cumulative) and lost disputes take away, in any order; unknown
types are acknowledged and ignored. Each bad request is a precise 4xx problem and records
nothing: a wrong, missing or stale signature, malformed JSON, an oversized body, another site's
campaign, the wrong currency, a closed campaign, absurd or non-numeric amounts.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import pytest

from rostra.services.funding import Funding
from rostra.storage.funding import SqlFundingStore
from tests.conftest import LiveServer
from tests.funding.conftest import ADMIN, add_campaign, entry_count, take_donations, totals
from tests.funding.stripe_standin import WEBHOOK_SECRET, event, sign
from tests.helpers import API, PROBLEM

pytestmark = pytest.mark.in_process
WEBHOOK = f"{API}/funding/stripe"
_n = itertools.count(1)


def session(campaign: str, amount: Any = 2500, currency: str = "usd", **extra: Any) -> bytes:
    n = next(_n)
    obj = {
        "id": f"cs_test_w{n:08d}",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "amount_total": amount,
        "currency": currency,
        "customer": f"cus_w{n}",
        "payment_intent": f"pi_w{n:08d}",
        "metadata": {"campaign": campaign, "site": "demo"},
        **extra,
    }
    return event("checkout.session.completed", obj)


def post(server: LiveServer, payload: bytes, signature: str | None = "sign", **headers: str) -> Any:
    sent = {"content-type": "application/json", **headers}
    if signature == "sign":
        sent["stripe-signature"] = sign(payload)
    elif signature is not None:
        sent["stripe-signature"] = signature
    with server.client() as client:
        return client.post(WEBHOOK, content=payload, headers=sent)


def ok(server: LiveServer, payload: bytes) -> dict[str, Any]:
    answer = post(server, payload)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def refund(payment: bytes, amount_refunded: int, refunds: list[tuple[str, int]] | None) -> bytes:
    paid = json.loads(payment)["data"]["object"]
    obj: dict[str, Any] = {
        "id": "ch_" + paid["payment_intent"][3:],
        "object": "charge",
        "amount": paid["amount_total"],
        "amount_refunded": amount_refunded,
        "currency": paid["currency"],
        "payment_intent": paid["payment_intent"],
        "metadata": {},
    }
    if refunds is not None:
        obj["refunds"] = {
            "object": "list",
            "data": [{"id": r, "amount": a, "status": "succeeded"} for r, a in refunds],
        }
    return event("charge.refunded", obj)


def dispute(payment: bytes, status: str, campaign: str | None = None) -> bytes:
    paid = json.loads(payment)["data"]["object"]
    obj = {
        "id": "dp_" + paid["payment_intent"][3:],
        "object": "dispute",
        "amount": paid["amount_total"],
        "currency": paid["currency"],
        "status": status,
        "charge": "ch_x",
        "payment_intent": paid["payment_intent"],
        "metadata": {"campaign": campaign} if campaign else {},
    }
    return event("charge.dispute.closed", obj)


@pytest.fixture
def cid(server: LiveServer) -> str:
    take_donations(server)
    return add_campaign(server)


def test_a_paid_session_counts_once_however_often_it_comes(server: LiveServer, cid: str) -> None:
    payload = session(cid, 2500)
    first = ok(server, payload)
    assert (first["recorded"], first["replayed"], first["type"]) == (
        1,
        0,
        "checkout.session.completed",
    )
    for _ in range(3):
        assert ok(server, payload)["replayed"] == 1
    # Stripe's async success for the same session (another event id): still the same payment.
    same = json.loads(payload)
    same["id"], same["type"] = "evt_other", "checkout.session.async_payment_succeeded"
    assert ok(server, json.dumps(same).encode())["replayed"] == 1
    t = totals(server, cid)
    assert (t.raised_minor, t.donations, t.donors) == (2500, 1, 1)
    assert entry_count(server, cid) == 1


def test_unpaid_sessions_and_unknown_types_are_acknowledged_and_ignored(
    server: LiveServer, cid: str
) -> None:
    unpaid = session(cid, payment_status="unpaid")
    customer = event("customer.created", {"id": "cus_1", "object": "customer"})
    won = dispute(session(cid), "won")
    for payload in (unpaid, customer, won):
        body = ok(server, payload)
        assert body["ignored"] is True and body["recorded"] == 0
    assert totals(server, cid).raised_minor == 0 and entry_count(server, cid) == 0


def test_refunds_and_lost_disputes_lower_the_total_in_any_order(
    server: LiveServer, cid: str
) -> None:
    a, b, c = session(cid, 5000), session(cid, 3000), session(cid, 2000)
    events = [
        a,
        b,
        c,
        refund(b, 1000, [("re_b1", 1000)]),
        refund(b, 3000, [("re_b1", 1000), ("re_b2", 2000)]),  # both, the first again
        refund(c, 500, None),  # cumulative only, as today's API versions send it
        refund(c, 1500, None),
        dispute(a, "lost", campaign=cid),
    ]
    expected = None
    # Payments first, refunds before their payment, everything reversed: the same end state.
    orders = [list(events), events[::-1], [events[i] for i in (6, 3, 7, 0, 5, 1, 4, 2)]]
    for k, order in enumerate(orders):
        # A fresh campaign each time, and fresh Stripe ids (the ledger's keys are per site).
        other = add_campaign(server)
        for payload in order:
            renamed = (
                payload.replace(cid.encode(), other.encode())
                .replace(b"_w", f"_w{k}".encode())
                .replace(b"re_b", f"re_{k}b".encode())
            )
            # A refund whose payment has not come yet names no campaign: Stripe retries.
            answer = post(server, renamed)
            if answer.status_code == 409:
                assert answer.json()["code"] == "payment-not-recorded"
                order.append(payload)
                continue
            assert answer.status_code == 200, answer.text
        t = totals(server, other)
        state = (t.raised_minor, t.donations, t.donors)
        expected = expected or state
        assert state == expected
    # a lost in full (5000), b refunded in full, c refunded 1500 of 2000.
    assert expected == (500, 1, 1)


def test_a_cumulative_refund_that_comes_late_changes_nothing(server: LiveServer, cid: str) -> None:
    paid = session(cid, 4000)
    ok(server, paid)
    assert ok(server, refund(paid, 2500, None))["recorded"] == 1
    late = ok(server, refund(paid, 1000, None))  # an older total, delivered after
    assert late["recorded"] == 0
    assert totals(server, cid).raised_minor == 1500


def _problem(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["code"] == code


def test_signatures_that_are_wrong_missing_or_stale_are_refused(
    server: LiveServer, cid: str
) -> None:
    payload = session(cid)
    _problem(post(server, payload, signature=None), 400, "signature-missing")
    _problem(
        post(server, payload, signature=sign(payload, "whsec_other")), 400, "signature-invalid"
    )
    _problem(post(server, payload, signature="t=abc,v1=zz"), 400, "signature-invalid")
    tampered = payload.replace(b"2500", b"9500")
    _problem(post(server, tampered, signature=sign(payload)), 400, "signature-invalid")
    old = int(time.time()) - 301
    _problem(post(server, payload, signature=sign(payload, timestamp=old)), 400, "signature-stale")
    # Stripe may send several v1 signatures (a secret being rolled): one right one is enough.
    right = sign(payload)
    rolled = right + ",v1=" + "0" * 64
    assert post(server, payload, signature=rolled).status_code == 200
    assert totals(server, cid).raised_minor == 2500 and entry_count(server, cid) == 1


def test_a_site_without_a_webhook_secret_takes_no_webhooks(server: LiveServer) -> None:
    cid = add_campaign(server)
    _problem(post(server, session(cid)), 404, "stripe-not-configured")
    assert entry_count(server, cid) == 0


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"currency": "eur"}, 422, "currency-mismatch"),
        ({"amount_total": 0}, 422, "invalid-amount"),
        ({"amount_total": -2500}, 422, "invalid-amount"),
        ({"amount_total": 25.5}, 422, "invalid-event"),  # a fraction of a cent
        ({"amount_total": "2500"}, 422, "invalid-event"),
        ({"amount_total": None}, 422, "invalid-event"),
        ({"amount_total": 10**15}, 422, "amount-too-large"),
        ({"amount_total": 10**40}, 422, "amount-too-large"),
        ({"metadata": {}}, 422, "no-campaign"),
        ({"metadata": {"campaign": "cmp_0000000000000000"}}, 404, "campaign-not-found"),
        ({"metadata": {"campaign": "<script>"}}, 404, "campaign-not-found"),
        ({"id": "cs test with spaces"}, 422, "invalid-key"),
    ],
)
def test_bad_events_are_refused_and_record_nothing(
    server: LiveServer, cid: str, change: dict[str, Any], status: int, code: str
) -> None:
    payload = json.loads(session(cid))
    payload["data"]["object"].update(change)
    _problem(post(server, json.dumps(payload).encode()), status, code)
    assert totals(server, cid).raised_minor == 0 and entry_count(server, cid) == 0


def test_an_event_for_another_sites_campaign_is_refused(server: LiveServer, cid: str) -> None:
    server.store.create_site("other", "Other", [], {})
    theirs = add_campaign(server, site="other")
    _problem(post(server, session(theirs)), 404, "campaign-not-found")
    # Naming our campaign but another site: refused too.
    payload = json.loads(session(cid))
    payload["data"]["object"]["metadata"]["site"] = "other"
    _problem(post(server, json.dumps(payload).encode()), 404, "campaign-not-found")
    assert entry_count(server, cid) == 0 and entry_count(server, theirs, site="other") == 0


def test_a_closed_campaign_takes_no_payment_but_still_its_refunds(
    server: LiveServer, cid: str
) -> None:
    paid = session(cid, 2000)
    ok(server, paid)
    site = server.store.get_site("demo")
    assert site is not None
    Funding(SqlFundingStore(server.store.engines)).set_open(site, cid, False, ADMIN)
    _problem(post(server, session(cid, 1000)), 409, "campaign-closed")
    assert ok(server, refund(paid, 2000, None))["recorded"] == 1
    assert totals(server, cid).raised_minor == 0 and entry_count(server, cid) == 2


def test_malformed_oversized_and_mistyped_bodies_are_refused(server: LiveServer, cid: str) -> None:
    _problem(post(server, b'{"id": "evt_1", "type": '), 400, "invalid-json")
    _problem(post(server, b"\xff\xfe{}"), 400, "invalid-utf8")
    _problem(post(server, b'{"id": "evt_1"}'), 422, "invalid-event")
    huge = session(cid, description="x" * 70_000)
    _problem(post(server, huge), 413, "payload-too-large")
    _problem(
        post(server, session(cid), **{"content-type": "text/plain"}), 415, "unsupported-media-type"
    )
    assert entry_count(server, cid) == 0


def test_the_secret_is_the_sites_own(server: LiveServer) -> None:
    take_donations(server)
    server.store.create_site(
        "other", "Other", [], {"funding": {"stripe_webhook_secret": "whsec_other_site_1"}}
    )
    theirs = add_campaign(server, site="other")
    payload = session(theirs).replace(b'"site": "demo"', b'"site": "other"')
    with server.client() as client:
        answer = client.post(
            "/api/v1/sites/other/funding/stripe",
            content=payload,
            headers={
                "content-type": "application/json",
                "stripe-signature": sign(payload, WEBHOOK_SECRET),
            },
        )
    _problem(answer, 400, "signature-invalid")
    with server.client() as client:
        answer = client.post(
            "/api/v1/sites/other/funding/stripe",
            content=payload,
            headers={
                "content-type": "application/json",
                "stripe-signature": sign(payload, "whsec_other_site_1"),
            },
        )
    assert answer.status_code == 200 and answer.json()["recorded"] == 1
