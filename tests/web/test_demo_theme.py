"""The demo article's comment theme switch: the theme API as a newsroom would use it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.types import ASGIApp

from rostra.config import Settings
from rostra.demo.app import create_demo_app
from rostra.demo.content import THREAD_ID
from rostra.demo.seed import seed_demo
from tests.conftest import HOST_ORIGIN, LiveServer


@pytest.fixture
def app_factory() -> Callable[[Settings], ASGIApp]:
    """These tests are about the demo site: serve the app with its plug-in mounted."""
    return create_demo_app


THEMES = [
    ("", "light"),
    ("?theme=dark", "dark"),
    ("?theme=auto", "auto"),
    ("?theme=%3Cb%3E", "light"),
]


def test_the_article_sets_the_containers_theme(
    server: LiveServer, db_url: str, subtests: pytest.Subtests
) -> None:
    seed_demo(db_url, HOST_ORIGIN)  # once: the four asks read the same seeded article
    with server.client() as client:
        for query, theme in THEMES:
            with subtests.test(query=query, theme=theme):
                r = client.get(f"/demo/{THREAD_ID}{query}")
                assert r.status_code == 200, r.text
                assert f'<div id="rostra-thread" data-rostra-theme="{theme}">' in r.text
                # The switch: one link per theme, the current one marked.
                for value in ("light", "dark", "auto"):
                    assert f'href="?theme={value}#comments" data-theme="{value}"' in r.text
                assert f'data-theme="{theme}" aria-current="true"' in r.text
                switch = r.text.split('class="theme-switch"', 1)[1].split("</nav>", 1)[0]
                assert "<b>" not in switch
