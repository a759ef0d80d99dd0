"""The civility nudge in real Chromium: in the embed (posts and edits) and without JavaScript.

The reader types a comment the toxicity classifier would hold, sends it, is told before anything
is saved, keeps their text, and either revises it or presses "Post anyway" to have it held for a
moderator.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from rostra.storage.tables import comments
from tests.browser._helpers import (
    allow_host,
    comment,
    fragment_html,
    host_page,
    open_embed,
    remember_token,
    seed,
    wait_for_focus,
)
from tests.browser.conftest import HostSite
from tests.browser.test_accessibility import blocking, run_axe
from tests.conftest import LiveServer
from tests.web.test_nudge import CIVIL, HELD, NUDGE, TONE, held_for_tone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]


@pytest.fixture(scope="module")
def toxic() -> str:
    return held_for_tone()


@pytest.fixture(autouse=True)
def _allowed(server: LiveServer, host_site: HostSite) -> None:
    allow_host(server, host_site, moderation=TONE)


def stored(server: LiveServer) -> list[tuple[str, str]]:
    """(body, status) of every stored comment, oldest first."""
    with server.store.engines.read.connect() as conn:
        rows = conn.execute(
            select(comments.c.body, comments.c.status).order_by(comments.c.id)
        ).fetchall()
    return [(r.body, r.status) for r in rows]


def test_embed_nudges_then_posts_anyway(
    server: LiveServer, host_site: HostSite, page: Page, toxic: str
) -> None:
    open_embed(page, host_site, server)
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.post_data_json) if r.method == "POST" and "/comments" in r.url else None
        ),
    )
    page.fill(".rostra-form textarea", toxic)
    page.click(".rostra-form .rostra-submit")

    error = page.locator(".rostra-form .rostra-error")
    expect(error).to_have_text(NUDGE)
    expect(error).to_have_attribute("role", "alert")
    anyway = page.locator(".rostra-form .rostra-anyway")
    expect(anyway).to_have_text("Post anyway")
    wait_for_focus(page, name="body")  # back in the text, to revise it
    expect(page.locator(".rostra-form textarea")).to_have_value(toxic)
    expect(page.locator(".rostra-form textarea")).to_have_attribute(
        "aria-describedby", str(error.get_attribute("id"))
    )
    assert stored(server) == []
    assert blocking(run_axe(page)) == []

    # The normal button checks the text again: the same answer, still one "Post anyway".
    page.click(".rostra-form .rostra-submit")
    expect(error).to_have_text(NUDGE)
    expect(anyway).to_have_count(1)
    assert stored(server) == []

    anyway.click()
    expect(page.locator(".rostra-status")).to_have_text(HELD)
    expect(anyway).to_have_count(0)
    expect(error).to_have_count(0)
    expect(page.locator(".rostra-form textarea")).to_have_value("")
    wait_for_focus(page, cls="rostra-submit")  # the pressed button went; focus stayed nearby
    assert stored(server) == [(toxic, "pending")]
    assert [b.get("confirm") for b in sent] == [None, None, True]
    expect(page.locator(".rostra-comments > li")).to_have_count(0)  # not shown until read


def test_embed_revising_after_the_nudge_posts(
    server: LiveServer, host_site: HostSite, page: Page, toxic: str
) -> None:
    open_embed(page, host_site, server)
    page.fill(".rostra-form textarea", toxic)
    page.click(".rostra-form .rostra-submit")
    expect(page.locator(".rostra-form .rostra-error")).to_have_text(NUDGE)

    page.fill(".rostra-form textarea", CIVIL)
    page.keyboard.press("Tab")
    page.click(".rostra-form .rostra-submit")
    expect(page.locator(".rostra-status")).to_have_text("Your comment was posted.")
    expect(page.locator(".rostra-comments > li .rostra-body")).to_have_text(CIVIL)
    expect(page.locator(".rostra-form .rostra-anyway")).to_have_count(0)
    expect(page.locator(".rostra-form .rostra-error")).to_have_count(0)
    assert stored(server) == [(CIVIL, "published")]


def test_embed_edit_is_nudged_then_posted_anyway(
    server: LiveServer, host_site: HostSite, page: Page, toxic: str
) -> None:
    mine, token = seed(server, CIVIL, author="Ada")
    remember_token(page, server, token)
    open_embed(page, host_site, server)
    card = comment(page, mine)
    card.locator(".rostra-edit").click()
    editor = card.locator(".rostra-editor")
    editor.locator("textarea").fill(toxic)
    editor.locator(".rostra-submit").click()

    expect(editor.locator(".rostra-error")).to_have_text(NUDGE)
    expect(editor.locator("textarea")).to_have_value(toxic)
    expect(editor.locator("textarea")).to_be_focused()
    expect(card.locator(".rostra-body")).to_be_hidden()  # still editing
    assert stored(server) == [(CIVIL, "published")]

    # The bar reads Save, Post anyway, Cancel.
    expect(editor.locator(".rostra-bar button")).to_have_text(["Save", "Post anyway", "Cancel"])
    editor.locator(".rostra-anyway").click()
    expect(page.locator(".rostra-status")).to_have_text(HELD)
    expect(page.locator(f'li[data-id="{mine}"]')).to_have_count(0)
    wait_for_focus(page, cls="rostra-title")
    assert stored(server) == [(toxic, "pending")]


def test_without_javascript_the_nudge_keeps_the_text_and_offers_post_anyway(
    server: LiveServer, host_site: HostSite, browser: Browser, toxic: str
) -> None:
    seed(server, CIVIL, author="Grace")
    host_site.html = host_page(server, container=fragment_html(server))
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(host_site.url + "/article")
        page.fill("#rostra-body", toxic)
        page.fill("#rostra-name", "Ada")
        page.click("button.rostra-submit")
        page.wait_for_url(re.compile(re.escape(server.url) + r"/t/demo/post"))
        expect(page.locator(".rostra-form .rostra-error")).to_have_text(NUDGE)
        expect(page.locator("#rostra-body")).to_have_value(toxic)
        expect(page.locator("#rostra-name")).to_have_value("Ada")
        assert stored(server) == [(CIVIL, "published")]

        page.click("button.rostra-anyway")
        expect(page.locator(".rostra-notice")).to_have_text(HELD)
        expect(page.locator("button.rostra-anyway")).to_have_count(0)
        assert stored(server) == [(CIVIL, "published"), (toxic, "pending")]
    finally:
        context.close()
