""" "Notify me of" in real Chromium on a server with no ``smtp_url``: the embed on a newsroom's
page (another origin) offers no notification choice, and a comment with an address alone is
posted as usual, with no subscription written."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from rostra.storage.tables import jobs, subscriptions
from tests.browser._helpers import open_embed
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("embedded", "no_page_errors")]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"smtp_url": ""}


def test_the_embed_offers_no_notifications_and_still_takes_an_address(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    open_embed(page, host_site, server)
    form = page.locator(".rostra-form")
    email = form.get_by_label("E-mail (optional, never shown)")
    expect(email).to_be_visible()
    expect(form.get_by_label("Notify me of")).to_have_count(0)
    expect(page.locator(".rostra-follow")).to_have_count(0)
    form.locator("textarea").fill("No mail server here, and that is fine.")
    email.fill("reader@news.example")
    form.locator(".rostra-submit").click()
    expect(page.locator(".rostra-status")).to_have_text("Your comment was posted.")
    with server.store.engines.read.connect() as conn:
        assert conn.execute(select(func.count()).select_from(subscriptions)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(jobs)).scalar() == 0
