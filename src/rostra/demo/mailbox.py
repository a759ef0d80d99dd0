"""The demo's mailbox: the mails the demo's SMTP sink caught, kept as a Maildir, and the pages
that show them (``/demo/mailbox`` and each mail under it).

A Maildir on disk (Python's ``mailbox``), beside the demo's SQLite file, rather than memory or a
table: the sink runs in ``rostra demo``'s main process while pages are served by uvicorn's
worker processes (``--workers``), and files are what they share without a schema of the demo's
own in Rostra's database; caught mails also survive a restart. Only the newest ``KEEP`` are kept.

Every value of a mail is shown escaped; its HTML part goes into an ``<iframe sandbox>`` as
``srcdoc`` (escaped by the template), so it runs no script, submits no form and cannot reach
this page, and the page's policy lets it load nothing from elsewhere (no tracking pixels).

Each mail is labelled with its kind (:func:`kind_of`): a comment notification by the
``In-Reply-To`` header only those carry, the others by their subject, matched against the
subjects Rostra gives each kind in the mail's language (``Content-Language``), read from the
same catalogue the mails were written with. The page opens by saying who the demo's followers
are (rostra.demo.followers) and how to make one of them get mail.
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
from itertools import chain
from pathlib import Path
from typing import cast

from babel.dates import format_date, format_datetime
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from rostra.demo.content import ARTICLE, SITE_NAME, STATIC_URL, THREAD_ID
from rostra.demo.followers import DIGEST_FOLLOWER, REPLY_FOLLOWER, THREAD_FOLLOWER
from rostra.domain.errors import N_
from rostra.i18n import translations
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


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of mail Rostra sends: its label (a msgid), a class name for the page, and the
    msgids of its subjects (a plural pair for subjects that count)."""

    label: str
    name: str
    subjects: tuple[str, ...] = ()
    plurals: tuple[tuple[str, str], ...] = ()


NOTIFICATION = Kind(
    N_("Notification"),
    "notification",
    ("%(author)s commented on “%(title)s”", "%(author)s replied under “%(title)s”"),
)
KINDS: tuple[Kind, ...] = (
    Kind(N_("Confirmation"), "confirmation", ("Confirm your notifications from %(site)s",)),
    NOTIFICATION,
    Kind(
        N_("Digest"),
        "digest",
        plurals=(("%(count)d new comment on %(site)s", "%(count)d new comments on %(site)s"),),
    ),
    Kind(N_("Test"), "test", ("Rostra test mail",)),
    Kind(N_("Moderator alert"), "alert", ("%(site)s: %(pending)d held, %(reported)d reported",)),
    Kind(N_("Webhook notice"), "webhook", ("%(site)s: a webhook endpoint was disabled",)),
)
_PLACEHOLDER = re.compile(r"%\(\w+\)([sd])")


def _pattern(subject: str) -> str:
    """A regular expression for a subject msgid, translated: its placeholders match anything
    (``%(x)s``) or a number (``%(x)d``), the rest literally."""
    pieces = _PLACEHOLDER.split(subject)
    out = [re.escape(pieces[0])]
    for kind, literal in zip(pieces[1::2], pieces[2::2], strict=True):
        out.append(r".+" if kind == "s" else r"\d+")
        out.append(re.escape(literal))
    return "".join(out)


@cache
def _subjects(language: str) -> tuple[tuple[Kind, re.Pattern[str]], ...]:
    catalogue = translations(language)
    found = []
    for kind in KINDS:
        texts = chain(
            (catalogue.gettext(s) for s in kind.subjects),
            *((catalogue.ngettext(one, many, n) for n in (1, 2)) for one, many in kind.plurals),
        )
        found += [(kind, re.compile(_pattern(text))) for text in texts]
    return tuple(found)


def kind_of(caught: Caught) -> Kind | None:
    """What kind of Rostra mail ``caught`` is, or None for a mail Rostra does not send."""
    if caught.header("In-Reply-To"):
        return NOTIFICATION  # only a comment's notification answers another mail
    subject = " ".join(caught.header("Subject").split())
    language = caught.header("Content-Language").strip().lower()
    languages = dict.fromkeys((language, "en", "fr") if language in ("en", "fr") else ("en", "fr"))
    for lang in languages:
        for kind, pattern in _subjects(lang):
            if pattern.fullmatch(subject):
                return kind
    return None


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
        return _page(
            request,
            "mailbox.html",
            mails=[(mail, kind_of(mail)) for mail in mails],
            article_url=f"{base_url(request)}/demo/{THREAD_ID}",
            article_title=ARTICLE.title,
            thread_follower=THREAD_FOLLOWER,
            reply_follower=REPLY_FOLLOWER,
            digest_follower=DIGEST_FOLLOWER,
        )

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
