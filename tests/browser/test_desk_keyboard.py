# The desk tests' fixtures are imported from test_desk.py and then taken as arguments.
# ruff: noqa: F811
"""The desk's keyboard shortcuts are safe to have on (issue 7, item 20), in real Chromium.

A decision key acts only on the comment the moderator chose, and says so when none is; outside
the Pending queue approving, rejecting, marking spam and banning ask once in an in-page dialog,
by keyboard and by mouse alike; the single-key shortcuts can be switched off and stay off.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rostra.domain.desk import DeskAction, Grounds
from rostra.domain.models import CommentStatus
from rostra.services.desk import DecisionRequest, ModerationDesk
from tests.browser.test_desk import (
    QUEUE,
    Newsroom,
    axe_problems,
    console,  # noqa: F401 - a fixture
    item,
    item_ids,
    newsroom,  # noqa: F401 - a fixture
    press,
    sign_in,
)
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

REJECTED = "/moderation/mine/queue/rejected"
NEED_CHOICE = "Choose a comment first: move to it with j or k, or click it."


def reject_all(newsroom: Newsroom) -> None:
    """Reject the held comments as a moderator would, without the browser."""
    desk = ModerationDesk(newsroom.server.store)
    request = DecisionRequest(DeskAction.REJECT, newsroom.held, Grounds.INSULT, "Name-calling.")
    desk.decide(newsroom.moderator, newsroom.site, request)


def test_a_stray_key_on_a_fresh_rejected_queue_publishes_nothing(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    reject_all(newsroom)
    decisions = newsroom.audit_size()
    sign_in(page, server, REJECTED)
    newest = item_ids(page)[0]
    press(page, "a")  # nothing chosen yet: the key says so and decides nothing
    expect(page.locator(".desk-live")).to_have_text(NEED_CHOICE)
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.locator("[aria-current=true]")).to_have_count(0)
    press(page, "r", "s", "b", "x", "o")
    expect(page).to_have_url(server.url + REJECTED)
    expect(page.locator("[data-desk-select]:checked")).to_have_count(0)
    assert all(newsroom.status(i) is CommentStatus.REJECTED for i in newsroom.held)
    assert newsroom.audit_size() == decisions

    # j chooses the first comment, visibly and for assistive technology.
    press(page, "j")
    chosen = item(page, newest)
    expect(chosen).to_be_focused()
    expect(chosen).to_have_attribute("aria-current", "true")
    expect(chosen).to_have_class(re.compile(r"\bdesk-current\b"))
    expect(page.locator("[aria-current=true]")).to_have_count(1)

    # Outside the Pending queue, publishing asks once; Cancel is where the focus lands.
    press(page, "a")
    dialog = page.get_by_role("dialog", name="Approve and publish it?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Comment by Reader 2")).to_be_visible()
    expect(dialog.get_by_text("Every selected comment.")).to_be_hidden()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    press(page, "a")  # a second stray key does not answer the question
    press(page, "Escape")
    expect(dialog).to_be_hidden()
    expect(chosen).to_be_focused()
    assert newsroom.status(newest) is CommentStatus.REJECTED
    assert newsroom.audit_size() == decisions

    press(page, "a")
    expect(dialog).to_be_visible()
    press(page, "Tab")
    expect(dialog.get_by_role("button", name="Yes, approve")).to_be_focused()
    press(page, "Enter")
    expect(page).to_have_url(f"{server.url}{REJECTED}?done=approve&n=1")
    expect(page.locator(".desk-done")).to_have_text("1 comment approved.")
    assert newsroom.status(newest) is CommentStatus.PUBLISHED
    assert newsroom.audit_size() == decisions + 1


def test_a_fresh_pending_queue_also_waits_for_a_choice(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    sign_in(page, server)
    press(page, "a")
    expect(page.locator(".desk-live")).to_have_text(NEED_CHOICE)
    expect(page).to_have_url(server.url + QUEUE)
    assert all(newsroom.status(i) is CommentStatus.PENDING for i in newsroom.held)
    # Clicking a comment chooses it too; in the Pending queue the key then decides at once.
    second = newsroom.held[1]
    item(page, second).locator(".desk-body").click()
    expect(item(page, second)).to_have_attribute("aria-current", "true")
    press(page, "a")
    expect(page).to_have_url(f"{server.url}{QUEUE}?done=approve&n=1")
    assert newsroom.status(second) is CommentStatus.PUBLISHED
    assert newsroom.status(newsroom.held[0]) is CommentStatus.PENDING


def test_mouse_and_bulk_decisions_outside_pending_ask_once(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    reject_all(newsroom)
    decisions = newsroom.audit_size()
    page.emulate_media(color_scheme="dark")
    sign_in(page, server, REJECTED)
    first, second, third = item_ids(page)
    item(page, first).get_by_role("button", name="Approve").click()
    dialog = page.get_by_role("dialog", name="Approve and publish it?")
    expect(dialog).to_be_visible()
    assert axe_problems(page) == []  # the open dialog, in the dark scheme
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert newsroom.audit_size() == decisions

    page.check(f"#sel-{second}")
    page.check(f"#sel-{third}")
    page.select_option("#bulk-grounds", "spam")
    page.get_by_role("button", name="Mark selected as spam").click()
    dialog = page.get_by_role("dialog", name="Mark it as spam?")
    expect(dialog.get_by_text("Every selected comment.")).to_be_visible()
    expect(dialog.get_by_text("Comment by")).to_be_hidden()
    dialog.get_by_role("button", name="Yes, mark as spam").click()
    expect(page).to_have_url(f"{server.url}{REJECTED}?done=spam&n=2")
    assert newsroom.status(second) is CommentStatus.SPAM
    assert newsroom.status(third) is CommentStatus.SPAM
    assert newsroom.status(first) is CommentStatus.REJECTED


def test_single_key_shortcuts_can_be_switched_off_and_stay_off(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    sign_in(page, server)
    page.locator(".desk-keys summary").click()
    switch = page.get_by_label("Use the single-key shortcuts")
    expect(switch).to_be_checked()
    switch.uncheck()
    page.locator("main h1").click()
    press(page, "j", "a", "?")
    expect(page.locator("[aria-current=true]")).to_have_count(0)
    expect(page.locator(".desk-keys details")).to_have_attribute("open", "")
    expect(page).to_have_url(server.url + QUEUE)

    page.reload()  # remembered
    page.locator(".desk-keys summary").click()
    expect(page.get_by_label("Use the single-key shortcuts")).not_to_be_checked()
    page.locator("main h1").click()
    press(page, "j")
    expect(page.locator("[aria-current=true]")).to_have_count(0)
    # The buttons need no key.
    first = newsroom.held[0]
    item(page, first).get_by_role("button", name="Approve").click()
    expect(page).to_have_url(f"{server.url}{QUEUE}?done=approve&n=1")
    assert newsroom.status(first) is CommentStatus.PUBLISHED

    page.locator(".desk-keys summary").click()
    page.get_by_label("Use the single-key shortcuts").check()
    page.locator("main h1").click()
    press(page, "j")
    expect(item(page, newsroom.held[1])).to_have_attribute("aria-current", "true")
