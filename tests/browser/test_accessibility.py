"""axe-core, run in real Chromium, finds no serious or critical accessibility problems in the
embedded thread (inside its shadow root) nor on the standalone page, in light and dark schemes.

axe-core comes from the ``axe-playwright-python`` package, which ships ``axe.min.js``; we inject
that file ourselves and call ``axe.run`` directly, so the check is exactly axe's own.
"""

from __future__ import annotations

import re
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


# For one control inside the embed: the colour that marks its edge (its border, or its own fill
# when it has no border), what is behind it, and its focus ring once focused from the keyboard.
CONTROL = """(sel) => {
  const root = document.querySelector('[data-rostra-ready]').shadowRoot;
  const el = root.querySelector(sel);
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const opaque = (c) => { const v = rgb(c); return v.length < 4 || v[3] > 0; };
  const behind = (n) => {
    for (let p = n.parentElement; p; p = p.parentElement) {
      const c = getComputedStyle(p).backgroundColor;
      if (opaque(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  el.blur();  // at rest first (computed styles are live, so read them now)
  const s = getComputedStyle(el);
  const bordered = s.borderTopStyle !== 'none' && parseFloat(s.borderTopWidth) >= 1;
  const rest = {edge: bordered ? s.borderTopColor : s.backgroundColor, fill: s.backgroundColor,
                bordered, behind: behind(el)};
  el.focus();
  const f = getComputedStyle(el);
  return {...rest, focused: root.activeElement === el,
          outline: [f.outlineStyle, parseFloat(f.outlineWidth), f.outlineColor]};
}"""


def _luminance(colour: str) -> float:
    r, g, b = (float(v) / 255 for v in re.findall(r"[\d.]+", colour)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_controls_have_3_to_1_edges_and_2px_focus_rings(
    server: LiveServer, host_site: HostSite, page: Page, scheme: Scheme
) -> None:
    allow_host(server, host_site)
    other, _ = seed(server, "Someone else's comment, to report", author="Grace")
    page.emulate_media(color_scheme=scheme)
    open_embed(page, host_site, server)
    comment(page, other).locator(".rostra-report").click()
    expect(comment(page, other).locator(".rostra-reporter input[type=radio]").first).to_be_focused()
    page.keyboard.press("Shift")  # the reader is on the keyboard: rings show as they would

    controls = {
        "comment box": ".rostra-form textarea",
        "name field": ".rostra-form input[name=author]",
        "e-mail field": ".rostra-form input[name=email]",
        "post button": ".rostra-form .rostra-submit",
        "report reason": ".rostra-reporter input[type=radio]",
        "report note": ".rostra-reporter textarea",
        "send report": ".rostra-reporter .rostra-submit",
        "vote up": ".rostra-up",
        "sort link": ".rostra-sort a",
    }
    failures = []
    for name, selector in controls.items():
        found = page.evaluate(CONTROL, selector)
        assert found["focused"], name
        if name not in ("vote up", "sort link"):  # text controls: their text is their edge
            edge = contrast(found["edge"], found["behind"])
            if edge < 3:
                failures.append(
                    f"{name}: edge {found['edge']} on {found['behind']} is {edge:.2f}:1"
                )
            if found["bordered"] and contrast(found["edge"], found["fill"]) < 3:
                failures.append(f"{name}: border {found['edge']} on its fill {found['fill']}")
        style, width, colour = found["outline"]
        ring = contrast(colour, found["behind"])
        if style != "solid" or width < 2 or ring < 3:
            failures.append(f"{name}: focus ring {style} {width}px {colour}, {ring:.2f}:1")
    assert failures == [], failures
