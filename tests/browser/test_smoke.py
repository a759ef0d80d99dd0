"""The standalone thread page renders in real Chromium with JavaScript off."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.conftest import LiveServer


def test_standalone_page_without_javascript(server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.url}/t/demo?thread=t1")
    page.fill("#rostra-body", "Posted *without* JavaScript")
    page.fill("#rostra-name", "Grace")
    page.click("button.rostra-submit")
    page.wait_for_selector(".rostra-comment .rostra-body em")
    assert page.inner_text(".rostra-author") == "Grace"
    assert "1 comment" in page.inner_text("#rostra-title")
    context.close()
