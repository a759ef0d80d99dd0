"""The demo is a plug-in: its pages and files come with ``rostra demo``'s app, never ``serve``'s."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from starlette.types import ASGIApp

from rostra.app import create_app
from rostra.config import Settings
from rostra.demo.app import create_demo_app
from rostra.demo.content import ARTICLE, STATIC_URL, THREAD_ID
from tests.conftest import LiveServer

PAGES = ("/", f"/demo/{THREAD_ID}")
ASSETS = tuple(
    f"{STATIC_URL}/{name}"
    for name in ("courier.css", "courier.js", "favicon.svg", "harbour-bridge.svg")
)
# Where the demo's files used to be served, under Rostra's own /static.
OLD_ASSETS = tuple(path.replace(STATIC_URL, "/static/demo") for path in ASSETS)


@pytest.mark.parametrize("app_factory", [create_app])
def test_the_production_app_serves_nothing_of_the_demo(
    server: LiveServer, app_factory: Callable[[Settings], ASGIApp]
) -> None:
    with server.client() as client:
        for path in (*PAGES, "/demo/no-such-story", *ASSETS, *OLD_ASSETS):
            assert client.get(path).status_code == 404, path
        # Rostra's own files are still there.
        assert client.get("/static/embed.js").status_code == 200


@pytest.mark.parametrize("app_factory", [create_demo_app])
def test_the_demo_app_serves_its_pages_and_files(
    server: LiveServer, app_factory: Callable[[Settings], ASGIApp]
) -> None:
    with server.client() as client:
        for path in PAGES:
            r = client.get(path)
            assert r.status_code == 200, path
            assert r.headers["content-type"].startswith("text/html")
        assert ARTICLE.title in client.get(f"/demo/{THREAD_ID}").text
        for path in ASSETS:
            r = client.get(path)
            assert r.status_code == 200, path
            assert r.headers["cache-control"] == "public, max-age=3600"
        assert client.get(ARTICLE.image).headers["content-type"] == "image/svg+xml"
        # The demo's files are its own: Rostra's are not served twice, nor the demo's under /static.
        assert client.get(f"{STATIC_URL}/embed.js").status_code == 404
        for path in OLD_ASSETS:
            assert client.get(path).status_code == 404, path
        assert client.get("/static/embed.js").status_code == 200


def test_the_app_imports_nothing_of_the_demo() -> None:
    # The demo's data files are read when rostra.demo.content is imported: never by `serve`.
    check = (
        "import sys, rostra.app, rostra.cli; "
        "found = sorted(m for m in sys.modules if m.startswith('rostra.demo')); "
        "assert not found, found"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
