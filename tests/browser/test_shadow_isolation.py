"""The embed's shadow root, both ways (README: "your CSS cannot break it, and it cannot break
yours"), in real Chromium on a newsroom's page from another origin.

In: a host page whose CSS hides and restyles every element of the page (all but the path down
to the thread's container: a page that hides its own container hides anything) still shows a
whole, usable thread in Rostra's own look. Out: the host page's own elements, some of them
named like Rostra's, look exactly as they did before the embed mounted.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser._helpers import comment, host_page, open_embed, seed
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("embedded", "no_page_errors")]

HOSTILE = """<style>
  *:not(html, body, main, #rostra-thread) {
    display: none !important; color: red !important; font-size: 40px !important;
    background: yellow !important; border: 5px solid red !important;
  }
  html, body, main, #rostra-thread { color: red !important; font-family: monospace !important; }
</style>"""

INSIDE = """() => {
  const sec = document.querySelector('#rostra-thread').shadowRoot.querySelector('section.rostra');
  const look = (n) => { const s = getComputedStyle(n), r = n.getBoundingClientRect();
    return {display: s.display, color: s.color, size: s.fontSize, font: s.fontFamily,
            background: s.backgroundColor, border: s.borderTopWidth, border_color: s.borderTopColor,
            width: r.width, height: r.height}; };
  return {section: look(sec), body: look(sec.querySelector('.rostra-body p')),
          textarea: look(sec.querySelector('.rostra-form textarea')),
          submit: look(sec.querySelector('.rostra-form .rostra-submit'))};
}"""


def test_host_css_that_hides_and_restyles_everything_leaves_the_thread_alone(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    first, _ = seed(server, "The deck looks *much* better than before.", author="Ada")
    open_embed(page, host_site, server, head=HOSTILE, container="")
    # The host page's own text is gone: the hostile rules do apply on this page.
    assert not page.locator("h1").is_visible()
    looks: dict[str, dict[str, Any]] = page.evaluate(INSIDE)
    for part, look in looks.items():
        assert look["display"] != "none" and look["width"] > 0 and look["height"] > 0, part
        assert look["color"] != "rgb(255, 0, 0)", part
        assert look["size"] != "40px" and "monospace" not in look["font"], part
        assert look["background"] != "rgb(255, 255, 0)", part
        assert look["border_color"] != "rgb(255, 0, 0)", part
    expect(comment(page, first).locator(".rostra-body em")).to_have_text("much")
    # Still usable: a guest posts through it.
    page.fill(".rostra-form textarea", "Night works should stop at ten.")
    page.click(".rostra-form .rostra-submit")
    expect(page.locator(".rostra-status")).to_have_text("Your comment was posted.")
    expect(page.locator(".rostra-title")).to_have_text("2 comments")


# The host's own markup, some of it with Rostra's class names, outside the embed.
OWN = """<section class="rostra own"><p class="rostra-body">Our own paragraph.</p>
<ul class="rostra-comments"><li class="rostra-comment">Our own list item.</li></ul>
<button class="rostra-submit">Our own button</button><textarea>Our own field</textarea>
<a href="#x" class="rostra-reply">Our own link</a></section>"""

OUTSIDE = """() => [...document.querySelectorAll('body *')]
  .filter((n) => !n.closest('#rostra-thread') && n.localName !== 'script')
  .map((n) => { const s = getComputedStyle(n);
    return [n.localName, n.className, s.display, s.color, s.backgroundColor, s.fontFamily,
            s.fontSize, s.padding, s.margin, s.borderTopWidth, s.borderRadius, s.lineHeight]; })"""


def test_the_threads_styles_do_not_leak_into_the_host_page(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    seed(server, "Glad the cycle lane made it into the plans.", author="Grace")
    # The same page without the script tag: how the host's elements look on their own.
    with_embed = host_page(server, before=OWN, container="")
    host_site.html = with_embed.split("<script ", 1)[0] + "</main></body></html>"
    page.goto(host_site.url + "/article")
    alone: list[list[str]] = page.evaluate(OUTSIDE)
    assert len(alone) >= 8
    open_embed(page, host_site, server, before=OWN, container="")
    expect(page.locator(".rostra-title")).to_have_text("1 comment")
    assert page.evaluate(OUTSIDE) == alone
    # The stylesheet is the shadow root's alone: the document itself holds none of Rostra's.
    sheets = page.evaluate("() => [...document.styleSheets].map((s) => s.href)")
    assert not [s for s in sheets if s and "rostra" in s]
