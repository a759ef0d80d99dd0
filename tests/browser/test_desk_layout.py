# The desk tests' fixtures are imported from test_desk.py and then taken as arguments.
# ruff: noqa: F811
"""The desk never scrolls sideways (issue 7, item 23), in real Chromium.

At a phone's 320 CSS px and at 1280 px zoomed to 200% (640 CSS px at device scale 2), the audit
log, the queues, a comment in context and the bans page fit the window's width, with the long
names, addresses, titles and explanations a real newsroom produces.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from rostra.domain.desk import DeskAction, Grounds
from rostra.services.desk import DecisionRequest, ModerationDesk
from rostra.services.discussion import PostRequest
from rostra.services.reports import ReaderReports
from tests.browser.test_desk import (
    PASSWORD,
    Newsroom,
    axe_problems,
    console,  # noqa: F401 - a fixture
    newsroom,  # noqa: F401 - a fixture
)
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

LONG_THREAD = (
    "2026/03/harbour-council-votes-to-reopen-the-island-ferry-line-after-two-years-of-repairs"
)
LONG_NAME = "Maximiliana Wolkenstein-Oberhausen-Lichtenberg von der Niederrheinischen Au"
LONG_BODY = (
    "See the minutes at https://council.example.org/documents/2026/03/"
    "minutes-of-the-extraordinary-session-on-ferry-services-final-version-approved.pdf "
    "before you write: Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung "
    "is not an argument.\n\n> Quoting the mayor, who said a great deal."
)
LONG_EXPLANATION = (
    "Repeated the same personal attack after a warning; see "
    "https://newsroom.example/moderation/guidelines/section-4-personal-attacks-and-harassment"
)
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
PAGES = (
    "queue/pending",
    "queue/reported",
    "queue/all",
    "audit",
    "bans",
)


def busy_newsroom(newsroom: Newsroom) -> list[str]:
    """Comments, reports, decisions and bans with long content; returns the case pages' ids."""
    server, site = newsroom.server, newsroom.site

    def post(name: str, body: str, **kwargs: object) -> str:
        request = PostRequest(LONG_THREAD, body, name, **kwargs)  # type: ignore[arg-type]
        return newsroom.discussion.post(site, request, newsroom.reader()).public_id

    parent = post(LONG_NAME, LONG_BODY, email="maximiliana@example.org")
    newsroom.approve(parent)
    target = post(LONG_NAME, LONG_BODY, parent_public_id=parent)
    newsroom.approve(target)
    post("Cy", "Not if you live on the island: " + "ferry" * 30, parent_public_id=target)
    reports = ReaderReports(server.store)
    for _n in range(3):
        reports.report(site, target, "abuse", "Calling names " * 20, newsroom.reader())
    post(LONG_NAME, LONG_BODY)  # held: in the pending queue
    desk = ModerationDesk(server.store)
    ban = DecisionRequest(DeskAction.BAN, [parent], Grounds.PERSONAL_DATA, LONG_EXPLANATION, 30)
    desk.decide(newsroom.moderator, site, ban)
    return [parent, target]


@pytest.fixture(params=[(320, 1), (640, 2)], ids=["320px", "1280px-at-200%"])
def narrow(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    width, scale = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 720}, device_scale_factor=scale
    )
    page = context.new_page()
    yield page
    context.close()


def test_no_desk_page_scrolls_sideways(
    server: LiveServer, newsroom: Newsroom, narrow: Page
) -> None:
    cases = busy_newsroom(newsroom)
    page = narrow
    page.goto(server.url + "/moderation/login")
    page.fill("#username", "mod")
    page.fill("#password", PASSWORD)
    page.click("form.desk-login button[type=submit]")
    expect(page.locator("main h1")).to_have_text("Your sites")
    wide: dict[str, tuple[int, int]] = {}
    paths = [*PAGES, *(f"comments/{c}" for c in cases)]
    for path in paths:
        page.goto(f"{server.url}/moderation/mine/{path}")
        expect(page.locator("main h1")).to_be_visible()
        if path.startswith("queue/"):
            expect(page.locator("[data-desk-item]").first).to_be_visible()
        scroll, inner = page.evaluate(WIDTHS)
        if scroll > inner:
            wide[path] = (scroll, inner)
        if path.startswith("queue/"):  # and with the bulk form unfolded
            page.locator(".desk-bulk").evaluate("el => { el.open = true; }")
            expect(page.locator("#bulk-grounds")).to_be_visible()
            scroll, inner = page.evaluate(WIDTHS)
            if scroll > inner:
                wide[path + " (bulk form open)"] = (scroll, inner)
    assert wide == {}
    # The long content is there to be read, wrapped rather than cut off.
    page.goto(f"{server.url}/moderation/mine/audit")
    expect(page.locator("main")).to_contain_text(LONG_EXPLANATION)
    assert axe_problems(page) == []  # the stacked audit table, too, passes axe
