"""The demo site as a plug-in of the app: ``rostra demo`` serves this factory, never ``serve``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from rostra.app import create_app
from rostra.config import Settings
from rostra.web.pages import demo

DEMO_ROUTES: list[BaseRoute] = [
    Route("/", demo.index, methods=["GET"]),
    Route("/demo/{article}", demo.article, methods=["GET"]),
]


def create_demo_app(settings: Settings | None = None) -> ASGIApp:
    """Rostra with the demo newspaper's pages mounted beside its own routes."""
    return create_app(settings, plugins=DEMO_ROUTES)
