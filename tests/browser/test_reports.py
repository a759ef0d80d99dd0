"""Reporting a comment in real Chromium: in the embed with the keyboard alone, and without
JavaScript; axe finds nothing serious in the open report form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._helpers import (
    API,
    active_in_shadow,
    comment,
    open_embed,
    remember_token,
    seed,
    wait_for_focus,
)
from tests.browser.conftest import HostSite
from tests.browser.test_accessibility import Scheme, blocking, checked_in_shadow, run_axe
from tests.conftest import LiveServer
from tests.helpers import as_reader, new_reader, stored_reports

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("embedded", "no_page_errors")]

THANKS = "Thank you. The moderators will look at it."
REASONS = [
    "Insulting or harassing",
    "Hate against a group",
    "Threat of violence",
    "Spam or advertising",
    "Misleading or false",
    "Off topic",
    "Something else",
]


def tab_to(page: Page, cls: str, presses: int = 40) -> None:
    """Press Tab until the focused element in the embed has class ``cls``."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if cls in ((active_in_shadow(page) or {}).get("cls") or "").split():
            return
    wait_for_focus(page, cls=cls)  # fails, saying where focus is


def test_keyboard_reader_reports_a_comment_from_the_embed(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    theirs, _ = seed(
        server,
        "Lovely photos. I repair old bicycles at weekends, ask if yours needs it.",
        author="Grace",
    )
    mine, token = seed(server, "My own comment", author="Me")
    remember_token(page, server, token)
    open_embed(page, host_site, server)
    # Others' comments can be reported; one's own cannot.
    expect(comment(page, theirs).locator(".rostra-report")).to_be_visible()
    expect(comment(page, mine).locator(".rostra-report")).to_be_hidden()

    tab_to(page, "rostra-report")
    page.keyboard.press("Enter")
    form = comment(page, theirs).locator(".rostra-reporter")
    expect(form.locator("legend")).to_have_text("Why are you reporting this comment?")
    expect(form.locator(".rostra-choice")).to_have_text(REASONS)
    expect(form.locator("textarea")).to_have_attribute("maxlength", "500")
    wait_for_focus(page, tag="input", name="reason")  # focus moved into the form

    # Escape cancels, and focus goes back to the Report link; Enter opens it again.
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    wait_for_focus(page, cls="rostra-report")
    page.keyboard.press("Enter")
    wait_for_focus(page, tag="input", name="reason")

    page.keyboard.press("ArrowDown")  # the arrow keys pick a reason
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(form.locator("input[value=spam]")).to_be_checked()
    page.keyboard.press("Tab")
    wait_for_focus(page, name="note")
    page.keyboard.type("Advertising, posted on every article.")
    page.keyboard.press("Tab")
    wait_for_focus(page, cls="rostra-submit")
    page.keyboard.press("Enter")

    thanks = comment(page, theirs).locator(".rostra-thanks")
    expect(thanks).to_have_text(THANKS)
    expect(thanks).to_have_attribute("role", "status")
    expect(form).to_have_count(0)
    expect(comment(page, theirs).locator(".rostra-report")).to_be_hidden()
    wait_for_focus(page, cls="rostra-thanks")
    assert stored_reports(server.store) == [
        (theirs, "spam", "Advertising, posted on every article.")
    ]

    # After a reload the server remembers: a second report is refused, in the server's words.
    page.reload()
    page.wait_for_selector("[data-rostra-ready]", state="attached")
    comment(page, theirs).locator(".rostra-report").click()
    form.locator("input[value=abuse]").check()
    form.locator(".rostra-submit").click()
    error = form.locator(".rostra-error")
    expect(error).to_have_text("You already reported this comment.")
    expect(error).to_have_attribute("role", "alert")
    described = str(error.get_attribute("id"))
    expect(form.locator("textarea")).to_have_attribute("aria-describedby", described)
    form.locator(".rostra-cancel").click()
    expect(form).to_have_count(0)
    wait_for_focus(page, cls="rostra-report")
    assert len(stored_reports(server.store)) == 1


def test_a_first_time_reader_gets_a_token_to_report_with(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    theirs, _ = seed(server, "Reported by a newcomer", author="Grace")
    open_embed(page, host_site, server)
    comment(page, theirs).locator(".rostra-report").click()
    form = comment(page, theirs).locator(".rostra-reporter")
    form.locator("input[value=off_topic]").check()
    form.locator(".rostra-submit").click()
    expect(comment(page, theirs).locator(".rostra-thanks")).to_have_text(THANKS)
    assert stored_reports(server.store) == [(theirs, "off_topic", "")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_open_report_form_has_no_serious_violations(
    server: LiveServer, host_site: HostSite, page: Page, scheme: Scheme
) -> None:
    theirs, _ = seed(server, "The bridge looks **great** again.", author="Ada")
    other, _ = seed(server, "Agreed.", author="Lin")
    with server.client() as client:
        reader = new_reader(client)
        r = client.post(
            f"{API}/comments/{other}/reports", json={"reason": "spam"}, headers=as_reader(reader)
        )
        assert r.status_code == 201, r.text
    remember_token(page, server, reader)
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    open_embed(page, host_site, server)
    comment(page, theirs).locator(".rostra-report").click()
    expect(comment(page, theirs).locator(".rostra-reporter input").first).to_be_focused()
    results = run_axe(page)
    assert blocking(results) == []
    assert checked_in_shadow(results, "label")  # axe looked at the form's fields

    # A second form open, showing the server's refusal.
    comment(page, other).locator(".rostra-report").click()
    form = comment(page, other).locator(".rostra-reporter")
    form.locator("input[value=other]").check()
    form.locator("textarea").fill("Please look.")
    form.locator(".rostra-submit").click()
    expect(form.locator(".rostra-error")).to_have_text("You already reported this comment.")
    assert blocking(run_axe(page)) == []


def test_without_javascript_a_reader_reports_on_a_page_of_its_own(
    server: LiveServer, browser: Browser
) -> None:
    theirs, _ = seed(server, "Reported without JavaScript", author="Grace")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/t/demo?thread=article-1")
        page.locator(f'li[data-id="{theirs}"] .rostra-report').click()
        page.wait_for_url(re.compile(re.escape(server.url) + r"/t/demo/report\?"))
        expect(page.locator("h1")).to_have_text("Report a comment")
        page.get_by_label("Threat of violence").check()
        page.get_by_label("Note for the moderators (optional)").fill("A threat.")
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url(re.compile(r".*sent=1#rostra-form$"))
        expect(page.locator(".rostra-notice")).to_have_text(THANKS)
        assert stored_reports(server.store) == [(theirs, "threat", "A threat.")]
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_report_page_has_no_serious_violations(
    server: LiveServer, page: Page, scheme: Scheme
) -> None:
    theirs, _ = seed(server, "Reported on its own page", author="Grace")
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{server.url}/t/demo/report?thread=article-1&comment={theirs}")
    assert blocking(run_axe(page)) == []
    page.get_by_label("Off topic").check()
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".rostra-notice")).to_have_text(THANKS)
    assert blocking(run_axe(page)) == []
    # Reporting again shows the refusal, and the way back.
    page.go_back()
    page.get_by_label("Off topic").check()
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".rostra-error")).to_have_text("You already reported this comment.")
    assert blocking(run_axe(page)) == []
