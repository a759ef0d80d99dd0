"""The desk's funding page (SQLite and PostgreSQL): an admin adds a campaign, records an offline
donation that the meter's JSON then counts, a form sent twice counts once (409 page), bad
amounts and currencies are readable pages that record nothing, donor names are escaped, closing
is audited; moderators get 403 pages and forms without the session's CSRF token change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rostra.domain.desk import Role
from rostra.storage.tables import audit_log, campaigns, donation_entries
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import PASSWORD, QUIET, desk_client, sign_in, staff_accounts

pytestmark = pytest.mark.in_process

PAGE = "/moderation/mine/funding"


@pytest.fixture
def newsroom(server: LiveServer) -> Any:
    store = server.store
    site = store.create_site("mine", "Mine", [HOST_ORIGIN], QUIET)
    accounts = staff_accounts(store)
    accounts.create("boss", PASSWORD, Role.ADMIN, [], "Chief Editor")
    accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id], "Moderator Mo")
    return site


@pytest.fixture
def browser_like(server: LiveServer) -> Iterator[httpx.Client]:
    with desk_client(server) as client:
        yield client


def count(server: LiveServer, table: Any) -> int:
    with server.store.engines.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def add_campaign(client: httpx.Client, csrf: str, **fields: str) -> str:
    data = {"csrf": csrf, "title": "Winter drive", "goal": "5000", "currency": "CAD", **fields}
    answer = client.post(f"{PAGE}/campaigns", data=data)
    assert answer.status_code == 303, answer.text
    found = re.findall(r'data-campaign="(cmp_[0-9a-f]+)"', client.get(PAGE).text)
    assert found
    return found[-1]


def donation_form(client: httpx.Client) -> dict[str, str]:
    """The donation form's fields as the page drew them (its key included)."""
    page = client.get(PAGE).text
    form = page[page.index('action="/moderation/mine/funding/donations"') :]
    form = form[: form.index("</form>")]
    values = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', form))
    for name, options in re.findall(r'<select[^>]*name="(\w+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'value="([^"]*)" selected', options)
        values[name] = chosen.group(1) if chosen else ""
    return {k: unescape(v) for k, v in values.items()}


def test_an_admin_records_a_donation_the_meter_counts_once(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss", csrf_from=PAGE)
    cid = add_campaign(browser_like, csrf)
    form = donation_form(browser_like)
    assert form["key"].startswith("desk-") and form["currency"] == "CAD"
    sent = {**form, "campaign": cid, "amount": "895", "method": "cheque",
            "donor": '<script>alert("x")</script>Ana'}  # fmt: skip
    answer = browser_like.post(f"{PAGE}/donations", data=sent)
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=recorded")
    again = browser_like.post(f"{PAGE}/donations", data=sent)  # a double submit
    assert again.status_code == 409 and 'data-code="already-recorded"' in again.text
    totals = browser_like.get(f"/api/v1/sites/mine/campaigns/{cid}").json()
    assert (totals["raised_minor"], totals["donations"], totals["donors"]) == (89500, 1, 1)
    page = browser_like.get(PAGE).text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert donation_form(browser_like)["key"] != form["key"]  # each form drawn has its own
    with server.store.engines.read.connect() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.actor_name)).fetchall()
    assert [tuple(a) for a in actions] == [
        ("campaign_add", "Chief Editor"),
        ("donation_record", "Chief Editor"),
    ]
    audit = unescape(browser_like.get("/moderation/mine/audit").text)
    assert "Offline donation recorded" in audit and "895.00 CAD" in audit
    assert "Funding campaign added" in audit and "Winter drive" in audit


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"amount": "-10"}, 422, "invalid-amount"),
        ({"amount": "0"}, 422, "invalid-amount"),
        ({"amount": "10.001"}, 422, "invalid-amount"),
        ({"amount": "lots"}, 422, "invalid-amount"),
        ({"amount": "1" * 20}, 422, "invalid-amount"),
        ({"amount": "99999999"}, 422, "amount-too-large"),
        ({"currency": "USD"}, 422, "currency-mismatch"),
        ({"method": "gold"}, 422, "invalid-method"),
        ({"on": "soon"}, 422, "invalid-date"),
        ({"campaign": "cmp_0000000000000000"}, 404, "campaign-not-found"),
    ],
)
def test_bad_donations_are_readable_pages_that_record_nothing(
    server: LiveServer,
    newsroom: Any,
    browser_like: httpx.Client,
    changes: dict[str, str],
    status: int,
    code: str,
) -> None:
    csrf = sign_in(browser_like, "boss", csrf_from=PAGE)
    cid = add_campaign(browser_like, csrf)
    sent = {**donation_form(browser_like), "campaign": cid, "amount": "25", **changes}
    answer = browser_like.post(f"{PAGE}/donations", data=sent)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    shown = re.findall(r"desk-error[^\n]*", answer.text)
    assert f'data-code="{code}"' in answer.text and "Traceback" not in answer.text, shown
    assert count(server, donation_entries) == 0


def test_another_site_s_campaign_and_a_closed_one_record_nothing(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client
) -> None:
    other = server.store.create_site("other", "Other", [], QUIET)
    assert other is not None
    csrf = sign_in(browser_like, "boss", csrf_from=PAGE)
    cid = add_campaign(browser_like, csrf)
    form = {**donation_form(browser_like), "amount": "25"}
    browser_like.post(
        "/moderation/other/funding/campaigns",
        data={"csrf": csrf, "title": "Theirs", "goal": "10", "currency": "CAD"},
    )
    theirs = re.findall(r'data-campaign="(cmp_[0-9a-f]+)"', browser_like.get(
        "/moderation/other/funding").text)  # fmt: skip
    answer = browser_like.post(f"{PAGE}/donations", data={**form, "campaign": theirs[0]})
    assert answer.status_code == 404 and 'data-code="campaign-not-found"' in answer.text
    closed = browser_like.post(f"{PAGE}/campaigns/{cid}/close", data={"csrf": csrf})
    assert closed.status_code == 303
    answer = browser_like.post(f"{PAGE}/donations", data={**form, "campaign": cid})
    assert answer.status_code == 409 and 'data-code="campaign-closed"' in answer.text
    assert count(server, donation_entries) == 0
    with server.store.engines.read.connect() as conn:
        actions = conn.execute(select(audit_log.c.action)).scalars().all()
    assert "campaign_close" in actions


def test_a_bad_campaign_is_a_readable_page_that_adds_nothing(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss", csrf_from=PAGE)
    answer = browser_like.post(
        f"{PAGE}/campaigns",
        data={"csrf": csrf, "title": "<b>x</b>", "goal": "ten", "currency": "CAD"},
    )
    assert answer.status_code == 422 and 'data-code="invalid-amount"' in answer.text
    assert count(server, campaigns) == 0


def test_moderators_get_403_and_forged_forms_change_nothing(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss", csrf_from=PAGE)
    cid = add_campaign(browser_like, csrf)
    form = {**donation_form(browser_like), "campaign": cid, "amount": "25"}
    forged = browser_like.post(f"{PAGE}/donations", data={**form, "csrf": "0" * 32})
    assert forged.status_code == 403
    other_origin = browser_like.post(
        f"{PAGE}/donations", data=form, headers={"Origin": "https://evil.example"}
    )
    assert other_origin.status_code == 403
    with desk_client(server) as mod:
        mod_csrf = sign_in(mod, "mod", csrf_from="/moderation/mine/audit")
        assert mod.get(PAGE).status_code == 403
        posted = mod.post(f"{PAGE}/donations", data={**form, "csrf": mod_csrf})
        assert posted.status_code == 403
        assert "/funding" not in mod.get("/moderation/mine/audit").text
    assert count(server, donation_entries) == 0


def test_an_admin_edits_a_campaign_and_a_bad_goal_changes_nothing(
    server: LiveServer, newsroom: Any, browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss", csrf_from=PAGE)
    cid = add_campaign(browser_like, csrf, ticks="0,2500,5000")
    page = browser_like.get(PAGE).text
    assert f'id="edit-goal-{cid}"' in page and 'value="5000.00"' in page
    assert 'value="0.00,2500.00,5000.00"' in page  # the ticks as an admin writes them
    edit = f"{PAGE}/campaigns/{cid}/edit"
    bad = browser_like.post(edit, data={"csrf": csrf, "title": "Spring", "goal": "-3"})
    assert bad.status_code == 422 and 'data-code="invalid-amount"' in bad.text
    data = {"csrf": csrf, "title": "Spring drive", "goal": "8000", "ticks": "", "starts_on": "",
            "ends_on": "2026-12-31"}  # fmt: skip
    done = browser_like.post(edit, data=data)
    assert done.status_code == 303 and done.headers["location"].endswith("done=edited")
    body = browser_like.get(f"/api/v1/sites/mine/campaigns/{cid}").json()
    assert (body["title"], body["goal"], body["ticks"], body["ends_on"]) == (
        "Spring drive",
        800000,
        [0, 400000, 800000],
        "2026-12-31",
    )
    with server.store.engines.read.connect() as conn:
        actions = conn.execute(select(audit_log.c.action)).scalars().all()
    assert actions == ["campaign_add", "campaign_edit"]
