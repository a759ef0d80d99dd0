"""axe-core, run in real Chromium, finds no serious or critical accessibility problems in the
embedded thread (inside its shadow root) nor on the standalone page, in light and dark schemes.

axe-core comes from the ``axe-playwright-python`` package, which ships ``axe.min.js``; we inject
that file ourselves and call ``axe.run`` directly, so the check is exactly axe's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import axe_playwright_python  # type: ignore[import-untyped]
import pytest
from playwright.sync_api import Page, expect

from tests.browser._helpers import (
    EMBED_MODERATION,
    allow_host,
    api_vote,
    comment,
    open_embed,
    remember_token,
    seed,
)
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(axe_playwright_python.__file__).with_name("axe.min.js")
BLOCKING = {"serious", "critical"}
Scheme = Literal["light", "dark"]


def run_axe(page: Page) -> dict[str, Any]:
    page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations', 'passes']})"
    )
    return results


def blocking(results: dict[str, Any]) -> list[str]:
    """One line per serious or critical violation, naming the rule and the nodes."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


def checked_in_shadow(results: dict[str, Any], rule: str) -> bool:
    """True when axe checked ``rule`` on nodes inside a shadow root (a nested target path)."""
    for entry in results["passes"]:
        if entry["id"] == rule:
            return any(isinstance(n["target"][0], list) for n in entry["nodes"])
    return False


def busy_thread(server: LiveServer) -> dict[str, str]:
    """A thread with what a reader meets: replies, a deleted comment, votes and more pages."""
    for n in range(3):  # oldest, so they land on the second page
        seed(server, f"Older comment {n}", author=f"Reader {n}")
    first, _ = seed(server, "The bridge looks **great** again.", author="Ada")
    seed(server, "Agreed, and the [cycle lane](https://example.org) too.", parent=first)
    gone, grace = seed(server, "I take this back", author="Grace")
    seed(server, "Too late, I saw it", author="Lin", parent=gone)
    with server.client() as client:
        r = client.delete(f"/api/v1/sites/demo/comments/{gone}", headers={"X-Rostra-Reader": grace})
        assert r.status_code == 200, r.text
    mine, token = seed(server, "A comment of my own, with `code` and\n\n> a quote", author="Me")
    api_vote(server, first, 1, token)
    return {"first": first, "gone": gone, "mine": mine, "token": token}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_embedded_thread_has_no_serious_violations(
    server: LiveServer, host_site: HostSite, page: Page, scheme: Scheme
) -> None:
    allow_host(server, host_site, page_size=4)
    ids = busy_thread(server)
    remember_token(page, server, ids["token"])
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    open_embed(page, host_site, server)
    expect(comment(page, ids["mine"]).locator(".rostra-edit")).to_be_visible()
    expect(comment(page, ids["gone"]).locator(".rostra-tombstone")).to_be_visible()
    expect(comment(page, ids["first"]).locator(".rostra-up")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator(".rostra-more")).to_be_visible()

    results = run_axe(page)
    assert blocking(results) == []
    assert checked_in_shadow(results, "color-contrast")  # axe really looked inside

    # The interactive states: an editor, the reply form moved, a delete waiting for
    # confirmation and an error message.
    comment(page, ids["mine"]).locator(".rostra-edit").click()
    expect(comment(page, ids["mine"]).locator(".rostra-editor textarea")).to_be_focused()
    comment(page, ids["mine"]).locator(".rostra-delete").click()
    expect(comment(page, ids["mine"]).locator(".rostra-delete")).to_have_text("Confirm delete")
    comment(page, ids["first"]).locator(".rostra-reply").click()
    page.fill(".rostra-form textarea", " ")
    page.click(".rostra-form .rostra-submit")
    expect(page.locator(".rostra-form .rostra-error")).to_be_visible()
    comment(page, ids["mine"]).locator(".rostra-delete").click()  # armed again, keeps focus
    expect(comment(page, ids["mine"]).locator(".rostra-delete")).to_have_text("Confirm delete")

    results = run_axe(page)
    assert blocking(results) == []
    assert page.page_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_standalone_page_has_no_serious_violations(
    server: LiveServer, page: Page, scheme: Scheme
) -> None:
    # What the classifier makes of short test sentences is not what this test is about.
    server.store.update_site("demo", None, {"moderation": EMBED_MODERATION})
    busy_thread(server)
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{server.url}/t/demo?thread=article-1")
    results = run_axe(page)
    assert blocking(results) == []
