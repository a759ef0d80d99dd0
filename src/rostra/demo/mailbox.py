"""The demo's mailbox: the mails the demo's SMTP sink caught, kept as a Maildir, and the pages
that show them (``/demo/mailbox`` and each mail under it).

A Maildir on disk (Python's ``mailbox``), beside the demo's SQLite file, rather than memory or a
table: the sink runs in ``rostra demo``'s main process while pages are served by uvicorn's
worker processes (``--workers``), and files are what they share without a schema of the demo's
own in Rostra's database; caught mails also survive a restart. Only the newest ``KEEP`` are kept.

Every value of a mail is shown escaped; its HTML part goes into an ``<iframe sandbox>`` as
``srcdoc`` (escaped by the template), so it runs no script, submits no form and cannot reach
this page, and the page's policy lets it load nothing from elsewhere (no tracking pixels).
"""

from __future__ import annotations

import contextlib
import mailbox
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from functools import cache
from pathlib import Path
from typing import cast

from babel.dates import format_date, format_datetime
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from rostra.demo.content import SITE_NAME, STATIC_URL
from rostra.web import context as web
from rostra.web.pages.fragments import base_url
from rostra.web.render import make_environment, render

#: How many caught mails the demo keeps; older ones are deleted as new ones arrive.
KEEP = 200
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._,:=\\-]{0,200}")
_ARRIVAL = re.compile(r"(\d+)\.M(\d+)P\d+Q(\d+)\.")
#: The mailbox pages show mail, nothing else: no script at all, styles from here (the mails'
#: own inline ones too), images from here or inline, no form anywhere, framed by nobody.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)
SHOWN_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


def arrival(key: str) -> tuple[int, int, int, str]:
    """The order mails arrived in, from their Maildir key (``seconds.Mmicros P pid Q n.host``):
    file times are too coarse to order mails that arrive in the same few milliseconds."""
    found = _ARRIVAL.match(key)
    if found is None:
        return (0, 0, 0, key)
    return (int(found.group(1)), int(found.group(2)), int(found.group(3)), key)


def mailbox_folder(database_url: str) -> Path:
    """Where the demo keeps its caught mail: beside its SQLite file, else under ``var/``."""
    if database_url.startswith("sqlite:///"):
        db = Path(database_url.split("///", 1)[1])
        return db.with_name(db.stem + "-mailbox")
    return Path("var") / "demo-mailbox"


@dataclass(frozen=True, slots=True)
class Caught:
    """One caught mail: its key in the mailbox, when it arrived, and the message."""

    key: str
    received: datetime
    message: EmailMessage

    def header(self, name: str) -> str:
        return str(self.message.get(name, ""))

    def part(self, subtype: str) -> str | None:
        body = self.message.get_body(preferencelist=(subtype,))
        return None if body is None else cast(EmailMessage, body).get_content()


class Mailbox:
    """The caught mails in a Maildir at ``folder`` (made on the first delivery)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _maildir(self, create: bool) -> mailbox.Maildir | None:
        if not create and not (self.folder / "cur").is_dir():
            return None
        return mailbox.Maildir(self.folder, create=True)

    def deliver(self, raw: bytes) -> str:
        """File ``raw`` (a whole message as SMTP carried it); older mails beyond ``KEEP`` go."""
        box = self._maildir(create=True)
        assert box is not None
        key = box.add(raw)
        self._prune()
        return key

    def _prune(self) -> None:
        # By the files' times, as mails() orders them, without parsing a single mail: a fan-out
        # to many readers delivers here many times a second.
        entries = [
            entry
            for sub in ("new", "cur")
            for entry in os.scandir(self.folder / sub)
            if entry.is_file()
        ]
        if len(entries) <= KEEP:
            return
        entries.sort(key=lambda entry: arrival(entry.name.split(":", 1)[0]))
        for entry in entries[:-KEEP]:
            with contextlib.suppress(FileNotFoundError):  # another process pruned it first
                os.unlink(entry.path)

    def mails(self) -> list[Caught]:
        """Every caught mail, newest first."""
        box = self._maildir(create=False)
        if box is None:
            return []
        found = [self._caught(box, key) for key in box.iterkeys()]
        return sorted((c for c in found if c), key=lambda c: arrival(c.key), reverse=True)

    def get(self, key: str) -> Caught | None:
        box = self._maildir(create=False)
        if box is None or not _KEY.fullmatch(key):
            return None
        return self._caught(box, key)

    @staticmethod
    def _caught(box: mailbox.Maildir, key: str) -> Caught | None:
        try:
            stored = box.get_message(key)
        except (KeyError, FileNotFoundError):
            return None  # deleted meanwhile (KEEP) or never there
        message = message_from_bytes(stored.as_bytes(), _class=EmailMessage, policy=default)
        received = datetime.fromtimestamp(stored.get_date(), UTC)
        return Caught(key, received, message)


# -- the pages ------------------------------------------------------------------------------------


@cache
def _templates() -> Environment:
    return make_environment("rostra.demo")


def _headers(lang: str) -> dict[str, str]:
    return {
        "Content-Language": lang,
        "Vary": "Accept-Language",
        "Cache-Control": "no-store",
        "Content-Security-Policy": PAGE_POLICY,
    }


def _page(request: Request, template: str, status: int = 200, **context: object) -> Response:
    lang = web.language(request)
    body = render(
        _templates(),
        template,
        lang,
        site_name=SITE_NAME,
        root=base_url(request),
        demo_static=STATIC_URL,
        edition=format_date(datetime.now(UTC), "full", locale=lang),
        current_section="",
        when=lambda moment: format_datetime(moment, "medium", tzinfo=UTC, locale=lang),
        **context,
    )
    return HTMLResponse(body, status_code=status, headers=_headers(lang))


class MailboxPages:
    """``/demo/mailbox`` (the list) and ``/demo/mailbox/{key}`` (one mail), reading the mailbox
    at ``folder``, or beside the app's database (``mailbox_folder``) when none is given."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder

    def _mailbox(self, request: Request) -> Mailbox:
        database_url = web.context(request).settings.database_url
        return Mailbox(self._folder or mailbox_folder(database_url))

    async def index(self, request: Request) -> Response:
        mails = await web.off_loop(self._mailbox(request).mails)
        return _page(request, "mailbox.html", mails=mails)

    async def mail(self, request: Request) -> Response:
        caught = await web.off_loop(self._mailbox(request).get, request.path_params["key"])
        if caught is None:
            return _page(request, "not_found.html", status=404)
        headers = [(name, caught.header(name)) for name in SHOWN_HEADERS if caught.header(name)]
        return _page(
            request,
            "mailbox_mail.html",
            mail=caught,
            headers=headers,
            text=caught.part("plain"),
            html=caught.part("html"),
        )
