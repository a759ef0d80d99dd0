"""What Rostra's mails say, in the reader's language: a plain-text part and an HTML part.

The HTML part comes from autoescaped templates (``notify/templates``), so every name, title and
link in it is escaped; a comment's body is the one exception, and it is the output of the same
sanitising renderer the thread pages use (rostra.services.formatting). The plain-text part is
the comment as its author wrote it. Every sentence goes through gettext (en, fr).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_datetime
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from rostra.config import Settings
from rostra.i18n import translations
from rostra.notify.message import Mail, MailError
from rostra.services.formatting import render_markdown


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("rostra.notify", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def render_html(template: str, language: str, **context: Any) -> str:
    """``template`` in ``language``, every value escaped unless it is ``Markup``."""
    catalogue = translations(language)

    def g_(message: str, **params: Any) -> str:
        text = catalogue.gettext(message)
        return text % params if params else text

    return _templates().get_template(template).render(_=g_, gettext=g_, lang=language, **context)


def link(url: str, what: str) -> str:
    """``url`` if it is an absolute http(s) address (a link a mail may carry), else
    ``MailError``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MailError(f"{what} must be an http(s) address, not {url!r}")
    return url


def trial_mail(settings: Settings, to: str, *, language: str = "en") -> Mail:
    """The mail ``rostra mail test`` sends: it says where it came from and through which server."""
    _ = translations(language).gettext
    now = datetime.now(UTC)
    endpoint = settings.smtp
    server = str(endpoint) if endpoint else ""
    when = format_datetime(now, "medium", tzinfo=UTC, locale=language)
    subject = _("Rostra test mail")
    intro = _("This is a test mail from Rostra. If you can read it, Rostra can send mail.")
    details = _("Sent at %(when)s UTC through %(server)s.") % {"when": when, "server": server}
    text = f"{intro}\n\n{details}\n"
    html = render_html("test.html", language, subject=subject, intro=intro, details=details)
    return Mail(
        sender=settings.mail_from,
        to=to,
        subject=subject,
        text=text,
        html=html,
        key=f"test:{to}:{now.isoformat()}",
        language=language,
        date=now,
    )


@dataclass(frozen=True, slots=True)
class CommentNotice:
    """A published comment, as a notification mail shows it."""

    site_name: str
    article_title: str
    author_name: str
    body: str  # the comment's source, as its author wrote it
    url: str  # the comment in its article


def comment_mail(
    settings: Settings,
    notice: CommentNotice,
    *,
    to: str,
    key: str,
    language: str = "en",
    to_name: str = "",
    unsubscribe_url: str | None = None,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
) -> Mail:
    """A mail telling a subscriber about a new comment, with its link and a way to leave."""
    _ = translations(language).gettext
    comment_url = link(notice.url, "the comment's link")
    leave = link(unsubscribe_url, "the unsubscribe link") if unsubscribe_url else None
    params = {"author": notice.author_name, "title": notice.article_title}
    subject = _("%(author)s commented on “%(title)s”") % params
    heading = _("%(author)s wrote, under “%(title)s”:") % params
    read = _("Read it in the discussion")
    stop = _("Stop these mails")
    text_lines = [heading, "", notice.body.strip(), "", f"{read}: {comment_url}"]
    if leave:
        text_lines += ["", f"{stop}: {leave}"]
    html = render_html(
        "comment.html",
        language,
        subject=subject,
        site_name=notice.site_name,
        heading=heading,
        body=Markup(render_markdown(notice.body)),
        url=comment_url,
        read=read,
        unsubscribe_url=leave,
        stop=stop,
    )
    return Mail(
        sender=settings.mail_from,
        to=to,
        to_name=to_name,
        subject=subject,
        text="\n".join(text_lines) + "\n",
        html=html,
        key=key,
        language=language,
        unsubscribe_url=leave,
        in_reply_to=in_reply_to,
        references=references,
    )
