"""Comment preview in the embed, in real Chromium (issue 7, item 17): a toggle by the comment box
(aria-pressed) shows the text as the server's renderer makes it, inserted as the embed inserts
comment HTML, and goes back to the text; nothing is stored until the reader posts."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser._helpers import api_page, open_embed, wait_for_focus
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("embedded", "no_page_errors")]

TEXT = "Some **bold** words, <b>tags shown as text</b> and a [link](https://example.org/plan)."


def test_preview_shows_the_servers_rendering_and_toggles_back(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    open_embed(page, host_site, server)
    box = page.locator(".rostra-form textarea")
    toggle = page.get_by_role("button", name="Preview")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    box.fill(TEXT)
    toggle.click()
    shown = page.locator("#rostra-preview")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(shown.locator("strong")).to_have_text("bold")
    expect(shown.locator("b")).to_have_count(0)  # raw HTML stays text
    expect(shown).to_contain_text("<b>tags shown as text</b>")
    link = shown.locator("a")
    expect(link).to_have_attribute("href", "https://example.org/plan")
    expect(link).to_have_attribute("rel", "nofollow ugc noopener")
    expect(box).to_be_hidden()
    # Exactly what the server's renderer says.
    with httpx.Client(base_url=server.url, headers={"Origin": host_site.url}) as client:
        rendered = client.post("/api/v1/sites/demo/preview", json={"body": TEXT}).json()["html"]
    assert shown.evaluate("e => e.innerHTML") == rendered

    toggle.click()  # back to writing, the text as it was
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(box).to_be_visible()
    expect(shown).to_be_hidden()
    wait_for_focus(page, name="body")
    assert box.input_value() == TEXT
    with server.client() as client:  # nothing was stored: the thread does not exist yet
        r = client.get("/api/v1/sites/demo/comments", params={"thread": "article-1"})
    assert r.status_code == 404


def test_posting_from_the_preview_posts_the_text(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    open_embed(page, host_site, server)
    page.fill(".rostra-form textarea", "Previewed, then **posted**.")
    page.keyboard.press("Tab")  # the toggle comes right after the box
    page.keyboard.press("Enter")
    toggle = page.get_by_role("button", name="Preview")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.click(".rostra-form .rostra-submit")
    expect(page.locator(".rostra-status")).to_have_text("Your comment was posted.")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".rostra-form textarea")).to_be_visible()
    assert page.input_value(".rostra-form textarea") == ""
    assert [c["html"] for c in api_page(server)["comments"]] == [
        "<p>Previewed, then <strong>posted</strong>.</p>"
    ]


def test_an_empty_preview_shows_the_servers_refusal(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    open_embed(page, host_site, server)
    toggle = page.get_by_role("button", name="Preview")
    toggle.click()
    expect(page.locator(".rostra-form .rostra-error")).to_have_text("A comment cannot be empty.")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".rostra-form textarea")).to_be_visible()
