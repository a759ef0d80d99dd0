""" "Notify me of" in real Chromium: a reader on a newsroom's page (another origin than
Rostra's) picks "every new comment" in the embed's form, the confirmation mail reaches a real
SMTP server (aiosmtpd on a kernel port) through the app's own job runner, and the reader opens
its link and presses Confirm."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from rostra.storage.tables import subscriptions
from tests.browser._helpers import open_embed
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer
from tests.notify.conftest import SmtpServer
from tests.notify.conftest import smtp as smtp  # noqa: PLC0414 - the real SMTP server fixture

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("embedded", "no_page_errors")]


@pytest.fixture
def settings_overrides(smtp: SmtpServer) -> dict[str, Any]:
    return {"smtp_url": smtp.url, "jobs_poll_ms": 20}


def states(server: LiveServer) -> list[str]:
    with server.store.engines.read.connect() as conn:
        return [r.state for r in conn.execute(select(subscriptions.c.state))]


def test_a_reader_subscribes_from_the_embed_on_another_origin_and_confirms(
    server: LiveServer, host_site: HostSite, page: Page, smtp: SmtpServer
) -> None:
    assert urlsplit(host_site.url).port != urlsplit(server.url).port  # another origin
    open_embed(page, host_site, server)
    form = page.locator(".rostra-form")
    expect(form.get_by_label("Notify me of")).to_have_value("none")
    form.locator("textarea").fill("Will the ferry still run on Sundays?")
    form.get_by_label("E-mail (optional, never shown)").fill("reader@news.example")
    form.get_by_label("Notify me of").select_option("thread")
    form.locator(".rostra-submit").click()
    expect(page.locator(".rostra-status")).to_have_text("Your comment was posted.")
    [mail] = smtp.recorder.wait_for(1)
    assert mail.rcpt_tos == ["reader@news.example"]
    assert states(server) == ["pending"]
    text = mail.message.get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+/n/demo/confirm\?token=\S+", text)
    # No public_url in the test: the link names the configured host; the path is what counts.
    parts = urlsplit(link)
    page.goto(f"{server.url}{parts.path}?{parts.query}")
    expect(page.locator("h1")).to_have_text("Confirm your address")
    assert states(server) == ["pending"]  # opening the link confirms nothing
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("h1")).to_have_text("Address confirmed")
    assert states(server) == ["confirmed"]
    expect(page.get_by_role("link", name="Manage my notifications")).to_be_visible()
