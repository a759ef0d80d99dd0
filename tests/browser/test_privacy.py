"""No third-party calls and no tracking, in real Chromium (README, opening paragraph and
"Putting it under your articles").

A guest reader loads a page with the thread and uses it (posts, replies, votes, sorts, opens the
report form): every request the browser makes goes to the page's own origin or to Rostra's, no
cookie is set (the API uses none: the embed keeps one reader token in ``localStorage``, see
docs/adr/0002), and ``localStorage`` holds that token and nothing else. Checked on a newsroom's
page on its own origin and on the demo paper's article page, which Rostra serves itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from starlette.types import ASGIApp

from rostra.config import Settings
from rostra.demo.app import create_demo_app
from rostra.demo.content import SITE_SLUG, THREAD_ID
from rostra.demo.seed import seed_demo
from tests.browser._helpers import comment, open_embed, seed, token_key
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer
from tests.helpers import QUIET

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def record_origins(page: Page) -> set[str]:
    """Every origin the page's requests and sockets go to, from now on (filled as they happen)."""
    seen: set[str] = set()
    page.on("request", lambda r: seen.add(origin(r.url)))
    page.on("websocket", lambda ws: seen.add(origin(ws.url)))
    return seen


def use_the_thread(page: Page, other: str) -> None:
    """What a guest does in the thread: vote, post, reply, open the report form, sort."""
    up = comment(page, other).locator(".rostra-up")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    page.fill(".rostra-form textarea", "The ferry timetable should change while the deck is shut.")
    page.click(".rostra-form .rostra-submit")
    expect(page.locator(".rostra-status")).to_have_text("Your comment was posted.")
    comment(page, other).locator(".rostra-reply").click()
    form = page.locator(f'li[data-id="{other}"] > .rostra-form')
    form.locator("textarea").fill("Which fund pays for the night works?")
    form.locator(".rostra-submit").click()
    reply = page.locator(f'li[data-id="{other}"] > .rostra-replies > li .rostra-body')
    expect(reply).to_have_text("Which fund pays for the night works?")
    comment(page, other).locator(".rostra-report").click()
    expect(comment(page, other).locator(".rostra-reporter")).to_be_visible()
    page.click("a[data-sort=oldest]")
    expect(page.locator(".rostra-sort [aria-current]")).to_have_attribute("data-sort", "oldest")


def stored_keys(page: Page) -> list[str]:
    keys: list[str] = page.evaluate("() => Object.keys(localStorage)")
    return keys


def test_an_embedding_page_calls_only_its_origin_and_rostras_and_tracks_nothing(
    server: LiveServer, host_site: HostSite, page: Page, embedded: None
) -> None:
    other, _ = seed(server, "The old lamps should stay on the new railings.", author="Grace")
    seen = record_origins(page)
    open_embed(page, host_site, server)
    use_the_thread(page, other)
    page.reload()  # a returning reader: the token comes back from storage, nothing else
    page.wait_for_selector("[data-rostra-ready]", state="attached")

    assert seen == {host_site.origin, origin(server.url)}
    assert page.context.cookies() == []
    assert stored_keys(page) == [token_key(server)]
    token = page.evaluate(f"localStorage.getItem({token_key(server)!r})")
    assert token and token.count(".") >= 1


# The demo paper's pages are the demo plug-in's: that test serves its app.
@pytest.mark.parametrize("app_factory", [create_demo_app])
def test_the_demo_article_page_calls_only_rostra_and_tracks_nothing(
    server: LiveServer,
    db_url: str,
    page: Page,
    monkeypatch: pytest.MonkeyPatch,
    app_factory: Callable[[Settings], ASGIApp],
) -> None:
    # With a secret set, seeding never writes a development key file into the working folder.
    monkeypatch.setenv("ROSTRA_SECRET_KEY", "x" * 40)
    seed_demo(db_url, server.url)
    # What this test is about is the browser's traffic, not the classifier's verdict.
    settings: dict[str, Any] = dict(QUIET)
    server.store.update_site(SITE_SLUG, None, settings)
    other, _ = seed(
        server, "The old lamps should stay on the new railings.", author="Grace", thread=THREAD_ID
    )
    seen = record_origins(page)
    page.goto(f"{server.url}/demo/{THREAD_ID}")
    page.wait_for_selector("#rostra-thread[data-rostra-ready]", state="attached")
    use_the_thread(page, other)

    assert seen == {origin(server.url)}
    assert page.context.cookies() == []
    assert stored_keys(page) == [f"rostra:{server.url}:{SITE_SLUG}"]
