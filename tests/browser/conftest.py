"""Real Chromium (Debian's, never a downloaded build) driven by Playwright, and a host page
served from a second origin so the embed is tested cross-origin as on a newsroom's site."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import DATABASES, LiveServer, fresh_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.browser

# What a browser test checks is the page: the embed, the forms, the desk's keyboard and layout,
# escaping. Which database stored the comments does not change it, and every storage and web
# test runs on both; so browser tests run on the first database of the suite's list only (SQLite
# unless ROSTRA_TEST_DATABASES says otherwise), which halves their time. A module whose browser
# tests depend on the database defines its own ``db_url`` fixture with ``params=DATABASES``.
BROWSER_DATABASES = DATABASES[:1]


@pytest.fixture(params=BROWSER_DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    return fresh_database(request.param, request, tmp_path, sqlite_template)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.page_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


@pytest.fixture
def no_page_errors(page: Page) -> Iterator[None]:
    """Fail the test when a script error reached the page (``usefixtures`` it per module)."""
    yield
    assert page.page_errors == []  # type: ignore[attr-defined]


@pytest.fixture
def embedded(server: LiveServer, host_site: HostSite) -> None:
    """The demo site lets the host page embed it, with the default settings."""
    from tests.browser._helpers import allow_host  # it imports this module

    allow_host(server, host_site)


@dataclass
class HostSite:
    """A newsroom's page on its own origin; ``html`` is what it serves at every path."""

    url: str
    html: str = ""

    @property
    def origin(self) -> str:
        return self.url


@pytest.fixture
def host_site() -> Iterator[HostSite]:
    site = HostSite(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            body = site.html.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield site
    httpd.shutdown()
    httpd.server_close()
