# The desk tests' fixtures are imported from test_desk.py and then taken as arguments.
# ruff: noqa: F811
"""What a moderator reads on the desk (issue 7, item 19), in real Chromium.

The audit log's facts are labelled, translated text, not a raw dict; a decision that left the
status alone says what happened ("kept published") instead of "published → published"; comments
show their Markdown rendered by the one sanitising renderer; and on a phone the first comment of
the queue is on the first screen, the bulk-decision form folded above it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from rostra.domain.desk import DeskAction, Grounds
from rostra.services.desk import DecisionRequest, ModerationDesk
from rostra.services.reports import ReaderReports
from tests.browser.test_desk import (
    QUEUE,
    Newsroom,
    console,  # noqa: F401 - a fixture
    item,
    newsroom,  # noqa: F401 - a fixture
    sign_in,
)
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

AUDIT = "/moderation/mine/audit"


def audit_row(page: Page, public_id: str, who: str) -> tuple[str, str]:
    """(decision, facts) of the one row for ``public_id`` decided by ``who``."""
    row = (
        page.locator("tbody tr")
        .filter(has=page.get_by_role("link", name=public_id, exact=True))
        .filter(has_text=who)
    )
    expect(row).to_have_count(1)
    cells = row.locator("td")
    return cells.nth(2).inner_text(), cells.nth(5).inner_text()


def test_the_audit_log_reads_as_labelled_text(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    reported, banned, _ = newsroom.held
    newsroom.approve(reported)
    reports = ReaderReports(server.store)
    for _n in range(3):
        reports.report(newsroom.site, reported, "abuse", "", newsroom.reader())
    desk = ModerationDesk(server.store)
    # Approving a reported comment again leaves it published and resolves the reports.
    desk.decide(newsroom.moderator, newsroom.site, DecisionRequest(DeskAction.APPROVE, [reported]))
    ban = DecisionRequest(DeskAction.BAN, [banned], Grounds.THREAT, "Threatened a reader.", 7)
    desk.decide(newsroom.moderator, newsroom.site, ban)

    sign_in(page, server, AUDIT)
    main = page.locator("main")
    expect(main).to_contain_text("Approved (kept published)")
    for raw in ("published → published", "{", "}", "'", "resolved_reports", "True", "auto_hold"):
        expect(main).not_to_contain_text(raw)

    rows = page.locator("tbody tr").filter(has=page.get_by_role("link", name=reported, exact=True))
    expect(rows).to_have_count(3)  # held by the checks, approved, approved again
    kept = rows.filter(has_text="kept published")
    expect(kept.locator("td").nth(2)).to_have_text("Approved (kept published)")
    expect(kept.locator("td").nth(5)).to_have_text("Reader reports resolved: 3")
    first = rows.filter(has_text="pending → published")
    expect(first.locator("td").nth(2)).to_have_text("Approved (pending → published)")

    decision, facts = audit_row(page, banned, "Moderator Mo")
    assert decision == "Author banned (pending → rejected)"
    assert "Bans recorded: reader token, 7 days" in facts

    held = page.locator("tbody tr").filter(has_text="Held for review by the checks").first
    expect(held.locator("td").nth(1)).to_have_text("automated")
    facts_cell = held.locator("td").nth(5)
    expect(facts_cell).to_contain_text("Verdict of the checks: hold")
    expect(facts_cell).to_contain_text("Decided by the check: premoderation")
    expect(facts_cell).to_contain_text("Each check: premoderation: hold")
    expect(facts_cell.locator("li").first).to_be_visible()  # one fact a line, each labelled

    page.goto(f"{server.url}/moderation/mine/comments/{reported}")
    decisions = page.get_by_role("region", name="Decisions on this comment")
    expect(decisions).to_contain_text("Moderator Mo · Approved (kept published)")
    expect(decisions).to_contain_text("Moderator Mo · Approved (pending → published)")
    expect(decisions).not_to_contain_text("published → published")


MARKDOWN = (
    "**Loud** claim, see [the minutes](https://example.org/minutes) "
    "<img src=x onerror=window.__pwned=1>\n\n> a quoted line"
)


def test_comments_show_their_markdown_rendered_safely(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    parent = newsroom.post("The _ferry_ is back.", "Ada")
    newsroom.approve(parent)
    reader = newsroom.reader()
    newsroom.post("An earlier one with `code`.", "Bob", author=reader)
    target = newsroom.post(MARKDOWN, "Bob", author=reader, parent=parent)

    sign_in(page, server)
    body = item(page, target).locator(".desk-body")
    expect(body.locator("strong")).to_have_text("Loud")
    link = body.get_by_role("link", name="the minutes")
    expect(link).to_have_attribute("href", "https://example.org/minutes")
    expect(link).to_have_attribute("rel", "nofollow ugc noopener")
    expect(body.locator("blockquote")).to_have_text("a quoted line")
    expect(body).not_to_contain_text("**")
    expect(body.locator("img")).to_have_count(0)  # raw HTML is shown as text, never run
    expect(body).to_contain_text("<img src=x")
    assert page.evaluate("() => window.__pwned") is None

    newsroom.approve(target)  # only a published comment takes replies
    newsroom.post("A reply with ~~strikes~~.", "Cy", parent=target)
    page.goto(f"{server.url}/moderation/mine/comments/{target}")
    expect(item(page, target).locator("strong")).to_have_text("Loud")
    expect(item(page, target).locator("img")).to_have_count(0)
    expect(page.locator(".desk-parent .desk-body em")).to_have_text("ferry")
    expect(page.locator(".desk-replies .desk-body del, .desk-replies .desk-body s")).to_have_text(
        "strikes"
    )
    history = page.get_by_role("region", name="The author's history on this site")
    expect(history.locator(".desk-snippet code")).to_have_text("code")
    expect(page.locator("main")).not_to_contain_text("`code`")
    assert page.evaluate("() => window.__pwned") is None


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone's screen: 390 px wide, and 664 px of page under the browser's own bars."""
    context = browser.new_context(viewport={"width": 390, "height": 664}, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def test_on_a_phone_the_first_comment_is_on_the_first_screen(
    server: LiveServer, newsroom: Newsroom, phone: Page, page: Page
) -> None:
    first = newsroom.held[0]
    sign_in(phone, server)
    body = item(phone, first).locator(".desk-body")
    expect(body).to_be_visible()
    top = body.evaluate("el => el.getBoundingClientRect().top")
    assert top + 24 <= phone.evaluate("innerHeight"), top  # its first line, unscrolled
    # The bulk form is folded, and opens where a decision needs its ground.
    expect(phone.locator("#bulk-grounds")).to_be_hidden()
    item(phone, first).get_by_role("button", name="Reject").click()
    expect(phone.locator("#bulk-grounds")).to_be_focused()
    expect(phone.locator("#bulk-grounds")).to_be_visible()

    # On a wide screen it is open from the start.
    sign_in(page, server)
    expect(page.locator("#bulk-grounds")).to_be_visible()
    expect(page).to_have_url(server.url + QUEUE)
