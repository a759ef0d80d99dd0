"""The theme API in real Chromium: ``data-rostra-theme`` and the ``--rostra-*`` properties.

A host page picks light, dark or auto (the default, following the reader's system) on the script
tag or on ``#rostra-thread``, and sets custom properties (accent, font, radius, colours) that
inherit into the embed's shadow root. The same works for the no-JavaScript fragment.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page, expect

from rostra.demo.app import create_demo_app
from rostra.demo.content import THREAD_ID
from rostra.demo.seed import seed_demo
from tests.browser._helpers import allow_host, fragment_html, host_page, seed
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

WHITE = "rgb(255, 255, 255)"
DARK_BG = "rgb(23, 25, 29)"  # #17191d, the dark set's background

LOOKS = """(inShadow) => {
  const host = document.querySelector('#rostra-thread');
  const root = inShadow ? host.shadowRoot : document;
  const sec = root.querySelector('section.rostra');
  const s = getComputedStyle(sec);
  const submit = getComputedStyle(root.querySelector('.rostra-submit'));
  return {bg: s.backgroundColor, color: s.color, font: s.fontFamily,
          radius: s.borderTopLeftRadius, scheme: s.colorScheme,
          accent: submit.backgroundColor, onAccent: submit.color,
          theme: sec.dataset.rostraTheme || null};
}"""


@pytest.fixture(autouse=True)
def _allowed(server: LiveServer, host_site: HostSite) -> None:
    allow_host(server, host_site)
    seed(server, "The new lighting on the bridge is lovely at night.", author="Ada")


def open_themed(
    page: Page,
    host_site: HostSite,
    server: LiveServer,
    *,
    scheme: Literal["light", "dark"],
    script_theme: str | None = None,
    container_theme: str | None = None,
    head: str = "",
) -> dict[str, Any]:
    page.emulate_media(color_scheme=scheme)
    html = host_page(server, container="", head=head)
    if script_theme:
        html = html.replace(
            "data-rostra-site=", f'data-rostra-theme="{script_theme}" data-rostra-site='
        )
    if container_theme:
        html = html.replace(
            '<div id="rostra-thread">',
            f'<div id="rostra-thread" data-rostra-theme="{container_theme}">',
        )
    host_site.html = html
    page.goto(host_site.url + "/article")
    page.wait_for_selector("[data-rostra-ready]", state="attached")
    looks: dict[str, Any] = page.evaluate(LOOKS, True)
    return looks


def test_a_light_theme_stays_light_on_a_dark_system(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    looks = open_themed(page, host_site, server, scheme="dark", script_theme="light")
    assert (looks["bg"], looks["scheme"], looks["theme"]) == (WHITE, "light", "light")
    assert looks["color"] == "rgb(27, 29, 33)"


def test_auto_follows_the_system_and_dark_is_dark_everywhere(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    assert open_themed(page, host_site, server, scheme="dark")["bg"] == DARK_BG  # auto, default
    assert open_themed(page, host_site, server, scheme="light")["bg"] == WHITE
    auto = open_themed(page, host_site, server, scheme="dark", script_theme="auto")
    assert auto["bg"] == DARK_BG
    dark = open_themed(page, host_site, server, scheme="light", container_theme="dark")
    assert (dark["bg"], dark["scheme"]) == (DARK_BG, "dark")


def test_the_container_wins_over_the_script_and_can_switch_at_any_time(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    looks = open_themed(
        page, host_site, server, scheme="light", script_theme="light", container_theme="dark"
    )
    assert looks["bg"] == DARK_BG
    # A light/dark switch on the host page only changes the container's attribute.
    page.evaluate("document.querySelector('#rostra-thread').dataset.rostraTheme = 'light'")
    page.wait_for_function(
        """() => getComputedStyle(document.querySelector('#rostra-thread').shadowRoot
                 .querySelector('section.rostra')).backgroundColor === 'rgb(255, 255, 255)'"""
    )
    # And the theme survives the embed swapping in a new section (sorting).
    seed(server, "A second comment, so there is something to sort.", author="Grace")
    page.reload()
    page.wait_for_selector("[data-rostra-ready]", state="attached")
    page.evaluate("document.querySelector('#rostra-thread').dataset.rostraTheme = 'dark'")
    page.click("a[data-sort=oldest]")
    expect(page.locator(".rostra-sort [aria-current]")).to_have_attribute("data-sort", "oldest")
    assert page.evaluate(LOOKS, True)["bg"] == DARK_BG


HOST_THEME = """<style>
  #rostra-thread {
    --rostra-accent: #7a1f5c; --rostra-accent-text: #fffbe8; --rostra-font: Georgia, serif;
    --rostra-radius: 0px; --rostra-background: #fbf9f4; --rostra-text: #202020;
  }
</style>"""


def test_host_custom_properties_reach_into_the_shadow_root(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    looks = open_themed(page, host_site, server, scheme="light", head=HOST_THEME)
    assert looks["accent"] == "rgb(122, 31, 92)"
    assert looks["onAccent"] == "rgb(255, 251, 232)"
    assert looks["font"] == "Georgia, serif"
    assert looks["radius"] == "0px"
    assert looks["bg"] == "rgb(251, 249, 244)"
    assert looks["color"] == "rgb(32, 32, 32)"


def test_the_no_javascript_fragment_takes_the_theme_and_properties_too(
    server: LiveServer, host_site: HostSite, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False, color_scheme="dark")
    try:
        page = context.new_page()
        container = f'<div id="rostra-thread" data-rostra-theme="light">{fragment_html(server)}'
        host_site.html = host_page(server, head=HOST_THEME.replace("#fbf9f4", "#ffffff")).replace(
            "<main>", f"<main>{container}</div>", 1
        )
        page.goto(host_site.url + "/article")
        looks = page.evaluate(LOOKS, False)
        assert (looks["bg"], looks["scheme"]) == (WHITE, "light")  # light, on a dark system
        assert looks["accent"] == "rgb(122, 31, 92)" and looks["font"] == "Georgia, serif"
        page.evaluate("document.querySelector('#rostra-thread').dataset.rostraTheme = 'dark'")
        assert page.evaluate(LOOKS, False)["scheme"] == "dark"
    finally:
        context.close()


@pytest.mark.parametrize("app_factory", [create_demo_app])
def test_the_demo_paper_shows_the_theme_api(server: LiveServer, db_url: str, page: Page) -> None:
    seed_demo(db_url, server.url)
    page.emulate_media(color_scheme="dark")
    page.goto(f"{server.url}/demo/{THREAD_ID}")
    page.wait_for_selector("[data-rostra-ready]", state="attached")
    looks = page.evaluate(LOOKS, True)
    # A light paper keeps light comments on a dark system, in its own blue and type.
    assert (looks["bg"], looks["theme"]) == (WHITE, "light")
    assert looks["accent"] == "rgb(31, 78, 107)" and looks["font"].startswith("system-ui")
    page.click(".theme-switch a[data-theme=dark]")
    page.wait_for_function(
        """() => getComputedStyle(document.querySelector('#rostra-thread').shadowRoot
                 .querySelector('section.rostra')).backgroundColor === 'rgb(23, 25, 29)'"""
    )
    assert page.url == f"{server.url}/demo/{THREAD_ID}?theme=dark#comments"
    expect(page.locator(".theme-switch a[data-theme=dark]")).to_have_attribute(
        "aria-current", "true"
    )
    # Without the switch's script the link itself asks the server for the dark page.
    page.goto(f"{server.url}/demo/{THREAD_ID}?theme=dark")
    page.wait_for_selector("[data-rostra-ready]", state="attached")
    assert page.evaluate(LOOKS, True)["bg"] == DARK_BG
