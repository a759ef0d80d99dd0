"""The demo site as a plug-in of the app: ``rostra demo`` serves this factory, never ``serve``.

Everything the demo shows lives in this package: its pages (``pages.py``), their templates, its
files (``static/``, served under ``/demo/static``) and its fiction (``content/``). The app that
``rostra serve`` builds knows none of it.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from rostra.app import create_app
from rostra.config import Settings
from rostra.demo import pages
from rostra.demo.content import STATIC_URL
from rostra.web.static_files import CachedStaticFiles

DEMO_ROUTES: list[BaseRoute] = [
    Route("/", pages.index, methods=["GET"]),
    Mount(
        STATIC_URL,
        app=GZipMiddleware(
            CachedStaticFiles(packages=[("rostra.demo", "static")]), minimum_size=512
        ),
        name="demo-static",
    ),
    Route("/demo/{article}", pages.article, methods=["GET"]),
]


def create_demo_app(settings: Settings | None = None) -> ASGIApp:
    """Rostra with the demo newspaper's pages and files mounted beside its own routes."""
    return create_app(settings, plugins=DEMO_ROUTES)
