"""What a screen reader hears in the embed (issue 7, item 22), read from Chromium's accessibility
tree and the live region: controls named with their comment's author, the score with its word,
votes announced, the reply box described by whom it answers, and each comment in its language.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser._helpers import allow_host, comment, open_embed, seed
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

FRENCH = "Je trouve que le nouveau pont est magnifique et que la mairie a bien travaillé."
GERMAN = "Ich finde die neue Brücke wunderbar, und die Stadt hat gute Arbeit geleistet."


@pytest.fixture(autouse=True)
def _allowed(server: LiveServer, host_site: HostSite) -> None:
    allow_host(server, host_site)


@pytest.fixture
def thread(server: LiveServer) -> dict[str, str]:
    return {
        "martine": seed(server, FRENCH, author="Martine")[0],
        "jonas": seed(server, GERMAN, author="Jonas")[0],
        "guest": seed(server, "The bridge finally opens again, after two long years.")[0],
    }


def described_by(page: Page, selector: str) -> list[str]:
    """The texts that describe the element (aria-describedby), in order."""
    texts: list[str] = page.evaluate(
        """(sel) => {
          const root = document.querySelector('[data-rostra-ready]').shadowRoot;
          const el = root.querySelector(sel);
          return (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
            .map((id) => root.getElementById(id).textContent.trim());
        }""",
        selector,
    )
    return texts


def test_controls_carry_their_comments_author(
    server: LiveServer, host_site: HostSite, page: Page, thread: dict[str, str]
) -> None:
    open_embed(page, host_site, server)
    for key, name in (("martine", "Martine"), ("jonas", "Jonas"), ("guest", "Anonymous")):
        card = comment(page, thread[key])
        expect(card.get_by_role("button", name=f"Vote up the comment by {name}")).to_be_visible()
        expect(card.get_by_role("button", name=f"Vote down the comment by {name}")).to_be_visible()
        expect(card.get_by_role("link", name=f"Reply to {name}")).to_be_visible()
        expect(card.get_by_role("link", name=f"Report the comment by {name}")).to_be_visible()
        # The score is read with its word, not as a bare number.
        expect(card.locator(".rostra-vote")).to_contain_text("Score0")
    # Every name is different: no two vote buttons in the thread sound alike.
    names: list[Any] = page.eval_on_selector_all(
        ".rostra-up", "els => els.map(e => e.getAttribute('aria-label'))"
    )
    assert len(set(names)) == len(names) == 3


def test_a_vote_is_announced_with_the_new_score(
    server: LiveServer, host_site: HostSite, page: Page, thread: dict[str, str]
) -> None:
    open_embed(page, host_site, server)
    status = page.locator(".rostra-status")
    expect(status).to_have_attribute("aria-live", "polite")
    up = comment(page, thread["jonas"]).get_by_role("button", name="Vote up the comment by Jonas")
    up.click()
    expect(status).to_have_text("Vote recorded. Score 1.")
    up.click()
    expect(status).to_have_text("Vote withdrawn. Score 0.")


def test_the_reply_box_is_described_by_whom_it_answers(
    server: LiveServer, host_site: HostSite, page: Page, thread: dict[str, str]
) -> None:
    open_embed(page, host_site, server)
    comment(page, thread["martine"]).locator(".rostra-reply").click()
    box = ".rostra-form textarea"
    assert described_by(page, box) == ["Replying to Martine Cancel"]
    # An error joins the description, and leaves it again when fixed or cancelled.
    page.fill(box, "  ")
    page.click(".rostra-form .rostra-submit")
    expect(page.locator(".rostra-form .rostra-error")).to_be_visible()
    assert described_by(page, box) == ["Replying to Martine Cancel", "A comment cannot be empty."]
    page.keyboard.press("Escape")
    expect(page.locator(".rostra-replying")).to_have_count(0)
    assert described_by(page, box) == []


def test_each_comment_is_marked_with_its_language(
    server: LiveServer, host_site: HostSite, page: Page, thread: dict[str, str]
) -> None:
    open_embed(page, host_site, server)
    expect(page.locator("section.rostra")).to_have_attribute("lang", "en")
    body = ".rostra-body"
    expect(comment(page, thread["martine"]).locator(body)).to_have_attribute("lang", "fr")
    expect(comment(page, thread["jonas"]).locator(body)).to_have_attribute("lang", "de")
    # Posted from the embed: the server's rendering carries it too.
    page.fill(
        ".rostra-form textarea",
        "Die Brücke war zwei Jahre gesperrt, und jetzt fahren endlich wieder Busse darüber.",
    )
    page.click(".rostra-form .rostra-submit")
    expect(page.locator(".rostra-status")).to_have_text("Your comment was posted.")
    first = page.locator(".rostra-comments > li").first
    expect(first.locator("> .rostra-card .rostra-body")).to_have_attribute("lang", "de")


def test_the_no_javascript_reply_form_ties_its_context(
    server: LiveServer, page: Page, thread: dict[str, str]
) -> None:
    page.goto(f"{server.url}/t/demo?thread=article-1&reply={thread['jonas']}")
    assert page.get_attribute("#rostra-body", "aria-describedby") == "rostra-replying"
    expect(page.locator("#rostra-replying")).to_contain_text("Replying to Jonas")
