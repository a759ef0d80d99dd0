"""The demo site as a plug-in of the app: ``rostra demo`` serves this factory, never ``serve``.

Everything the demo shows lives in this package: its pages (``pages.py``), the mailbox of the
mail it sent (``mailbox.py``, filled by the SMTP sink in ``mail_sink.py``), their templates, its
files (``static/``, served under ``/demo/static``) and its fiction (``content/``). The app that
``rostra serve`` builds knows none of it.
"""

from __future__ import annotations

from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from rostra.app import create_app
from rostra.config import Settings
from rostra.demo import donations, pages
from rostra.demo.content import STATIC_URL
from rostra.demo.mailbox import MailboxPages
from rostra.web.static_files import CachedStaticFiles


def demo_routes(mailbox: Path | None = None) -> list[BaseRoute]:
    """The demo's pages; its mailbox read from ``mailbox`` (by default beside the database)."""
    mail = MailboxPages(mailbox)
    return [
        Route("/", pages.index, methods=["GET"]),
        Mount(
            STATIC_URL,
            app=GZipMiddleware(
                CachedStaticFiles(packages=[("rostra.demo", "static")]), minimum_size=512
            ),
            name="demo-static",
        ),
        # Before /demo/{article}, which would take "mailbox" for an article's name.
        Route("/demo/mailbox", mail.index, methods=["GET"]),
        Route("/demo/mailbox/{key}", mail.mail, methods=["GET"]),
        Route("/demo/support", pages.support, methods=["GET"]),
        # The demo's payment path (rostra.demo.donations): /demo/give, /demo/checkout.
        *donations.routes(),
        Route("/demo/{article}", pages.article, methods=["GET"]),
    ]


DEMO_ROUTES: list[BaseRoute] = demo_routes()


def create_demo_app(settings: Settings | None = None, *, mailbox: Path | None = None) -> ASGIApp:
    """Rostra with the demo newspaper's pages and files mounted beside its own routes."""
    app = create_app(settings, plugins=demo_routes(mailbox))
    donations.install(app)  # gifts are "paid" on the demo's checkout page, never at Stripe
    return app
