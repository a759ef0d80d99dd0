"""The server-rendered fragment in a host page from another origin, with JavaScript off.

A CMS includes the fragment inside ``#rostra-thread`` for readers without JavaScript and for
search engines. It must look like the thread (its own stylesheet, scoped under ``.rostra`` so the
host page's own elements keep their looks) and offer only what works without a script: no Edit or
Delete buttons, which the embed adds for the reader's own comments.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._helpers import allow_host, fragment_html, host_page, seed
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

# What the host page's own elements look like; the same with or without the fragment in it.
HOST_LOOKS = """() => {
  const pick = (sel) => {
    const s = getComputedStyle(document.querySelector(sel));
    return [s.color, s.backgroundColor, s.fontFamily, s.fontSize, s.borderTopWidth, s.margin];
  };
  return {h1: pick('h1'), p: pick('main > p'), button: pick('#host-button'),
          body: pick('body'), label: pick('#host-label')};
}"""

HOST_EXTRAS = (
    '<p><label id="host-label">Search <input></label> <button id="host-button">Go</button></p>'
)


def fragment_looks(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """() => {
          const s = (sel) => getComputedStyle(document.querySelector(sel));
          return {radius: s('section.rostra').borderTopLeftRadius,
                  font: s('section.rostra').fontFamily,
                  submitBg: s('.rostra-submit').backgroundColor,
                  submitColor: s('.rostra-submit').color,
                  textareaWidth: document.querySelector('#rostra-body').offsetWidth,
                  formWidth: document.querySelector('.rostra-form').offsetWidth,
                  reply: s('.rostra-reply').textDecorationLine};
        }"""
    )
    return result


def test_the_fragment_is_styled_and_offers_no_script_only_buttons_without_javascript(
    server: LiveServer, host_site: HostSite, browser: Browser
) -> None:
    allow_host(server, host_site)
    _, token = seed(server, "Posted by a reader whose browser has no script", author="Grace")
    seed(server, "And a second one", author="Ada", token=token)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        host_site.html = host_page(server, before=HOST_EXTRAS)
        page.goto(host_site.url + "/plain")
        bare = page.evaluate(HOST_LOOKS)

        host_site.html = host_page(server, before=HOST_EXTRAS, container=fragment_html(server))
        page.goto(host_site.url + "/article")
        expect(page.locator(".rostra-comments > li")).to_have_count(2)
        looks = fragment_looks(page)
        assert looks["radius"] == "12px"  # Rostra's box, not a bare <section>
        assert looks["font"].startswith("system-ui")
        assert looks["submitBg"] == "rgb(11, 87, 176)"  # the accent, not a grey default button
        assert looks["submitColor"] == "rgb(255, 255, 255)"
        assert looks["reply"] == "none"  # the quiet action links
        assert looks["textareaWidth"] > looks["formWidth"] * 0.8  # fields span the form
        # Nothing in a shared page is "mine": no buttons that would do nothing without a script.
        expect(page.locator(".rostra-edit")).to_have_count(0)
        expect(page.locator(".rostra-delete")).to_have_count(0)
        expect(page.get_by_role("button", name="Edit")).to_have_count(0)
        # What does work without a script is there: votes, reply and report links, the form.
        expect(page.locator(".rostra-up").first).to_be_visible()
        expect(page.locator(".rostra-reply").first).to_be_visible()
        expect(page.locator(".rostra-report").first).to_be_visible()
        # And the stylesheet left the host page's own elements as they were.
        assert page.evaluate(HOST_LOOKS) == bare
    finally:
        context.close()
