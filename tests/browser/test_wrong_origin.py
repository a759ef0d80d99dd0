"""The embed on a page whose origin the site does not allow (issue 7, item 16).

The browser refuses the answers (no CORS headers for that origin), so the embed cannot read why;
it checks that the server itself answers, then tells the reader something true ("Comments are not
available on this page.") and the site's owner, in the console, which origin to add and how.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, expect

from tests.browser._helpers import fragment_html, host_page, seed
from tests.browser.conftest import HostSite
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

NOT_HERE = "Comments are not available on this page."


def rostra_errors(page: Page) -> list[str]:
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and message.text.startswith("Rostra:"):
            found.append(message.text)

    page.on("console", on_console)
    return found


def test_a_page_on_an_origin_the_site_does_not_allow(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    errors = rostra_errors(page)
    host_site.html = host_page(server)  # the site allows only its own origins, not this one
    page.goto(host_site.url + "/article")
    expect(page.locator(".rostra-status")).to_have_text(NOT_HERE)
    assert len(errors) == 1
    assert f"rostra site update demo --origin {host_site.url} " in errors[0]
    assert f"does not accept pages at {host_site.url}" in errors[0]
    assert page.page_errors == []  # type: ignore[attr-defined]


def test_an_included_fragment_on_such_a_page_says_so_when_posting(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    seed(server, "Shown from the page's own copy of the thread", author="Grace")
    errors = rostra_errors(page)
    host_site.html = host_page(server, container=fragment_html(server))
    page.goto(host_site.url + "/article")
    page.wait_for_selector("[data-rostra-ready]", state="attached")
    page.fill(".rostra-form textarea", "Will this reach anyone?")
    page.click(".rostra-form .rostra-submit")
    expect(page.locator(".rostra-form .rostra-error")).to_have_text(NOT_HERE)
    assert page.input_value(".rostra-form textarea") == "Will this reach anyone?"
    assert len(errors) == 1 and f"--origin {host_site.url} " in errors[0]


def test_a_server_out_of_reach_is_not_blamed_on_the_origin(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    errors = rostra_errors(page)
    server.store.update_site("demo", [host_site.url], None)

    def unreachable(route: Route) -> None:
        route.abort("connectionrefused")

    page.route("**/embed/demo/thread*", unreachable)
    page.route("**/static/rostra.css", unreachable)
    host_site.html = host_page(server)
    page.goto(host_site.url + "/article")
    expect(page.locator(".rostra-status")).to_have_text(
        "The comments could not be reached. Please try again."
    )
    assert errors == []


def test_a_french_page_is_told_in_french(
    server: LiveServer, host_site: HostSite, page: Page
) -> None:
    """No fragment ever arrives to bring French: the script itself carries these messages."""
    host_site.html = host_page(server, lang="fr")
    page.goto(host_site.url + "/article")
    expect(page.locator(".rostra-status")).to_have_text(
        "Les commentaires ne sont pas disponibles sur cette page."
    )
