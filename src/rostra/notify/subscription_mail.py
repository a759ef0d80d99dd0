"""The ``notify.confirm`` job: the one mail an address gets before its owner confirms it.

The job's payload names the site and the subscriber, never the address: the handler opens the
sealed address (rostra.services.subscriptions) when it runs, builds the mail with J2's builder
(rostra.notify.message, rostra.notify.content: a plain-text and an HTML part, in the reader's
language, ``List-Unsubscribe`` with RFC 8058 one-click pointing at "stop everything"), and hands
it to the SMTP sender. A subscriber confirmed (or gone) meanwhile gets nothing. A sender that
refuses for now raises, and the runner retries with backoff; the Message-ID comes from the
subscriber and the link's nonce, so a mail sent again after a crash is the same mail.

Links are built from ``public_url`` (or, with none set in development, the address the server
listens on), never from a request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import quote

from babel.dates import format_timedelta

from rostra.config import Settings
from rostra.domain.models import Site
from rostra.i18n import translations
from rostra.notify.content import render_html
from rostra.notify.message import Mail, compose
from rostra.services.subscriptions import CONFIRM_JOB, Confirmation, Subscriptions

__all__ = ["CONFIRM_JOB", "confirmation_handler", "confirmation_mail", "register"]


class HasPayload(Protocol):
    """A job as the handler needs it (rostra.jobs.queue.Job)."""

    @property
    def payload(self) -> Mapping[str, object]: ...


class Registry(Protocol):
    """Where handlers go (rostra.jobs.registry.JobHandlers)."""

    def register(self, kind: str, handler: Callable[[HasPayload], None]) -> None: ...


def public_root(settings: Settings) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.port}"


def notify_link(settings: Settings, site: Site, what: str, token: str) -> str:
    return f"{public_root(settings)}/n/{site.slug}/{what}?token={quote(token, safe='')}"


def confirmation_mail(settings: Settings, confirmation: Confirmation, confirm_days: int) -> Mail:
    """The confirmation mail: the link (to a page whose button confirms), how long it works,
    and a way to say no to everything."""
    language = confirmation.language
    _ = translations(language).gettext
    site = confirmation.site
    confirm_url = notify_link(settings, site, "confirm", confirmation.confirm_token)
    manage_url = notify_link(settings, site, "manage", confirmation.manage_token)
    leave_url = notify_link(settings, site, "unsubscribe", confirmation.manage_token)
    params = {"site": site.name}
    subject = _("Confirm your notifications from %(site)s") % params
    heading = _("Someone, we hope you, asked for notifications from %(site)s at this address.") % (
        params
    )
    intro = _("Nothing is sent to it until you confirm. Open the link and press Confirm:")
    confirm = _("Confirm my address")
    days = format_timedelta(confirm_days * 86400, granularity="day", locale=language)
    expiry = _("The link works once, for %(days)s.") % {"days": days}
    ignore = _("If it was not you, ignore this mail: nothing more will come.")
    manage = _("Manage my notifications")
    text = "\n".join(
        [heading, "", intro, confirm_url, "", expiry, "", ignore, f"{manage}: {manage_url}", ""]
    )
    html = render_html(
        "subscription_confirm.html",
        language,
        subject=subject,
        site_name=site.name,
        heading=heading,
        intro=intro,
        confirm_url=confirm_url,
        confirm=confirm,
        expiry=expiry,
        ignore=ignore,
        manage_url=manage_url,
        manage=manage,
    )
    return Mail(
        sender=settings.mail_from,
        to=confirmation.address,
        subject=subject,
        text=text,
        html=html,
        key=confirmation.key,
        language=language,
        unsubscribe_url=leave_url,
    )


def confirmation_handler(
    subscriptions: Subscriptions,
    settings: Settings,
    send: Callable[[EmailMessage], None],
) -> Callable[[HasPayload], None]:
    """The handler of ``notify.confirm`` jobs. A payload that names no site or subscriber is
    done with (there is nothing to send), as is a subscriber with nothing to confirm."""

    def handle(job: HasPayload) -> None:
        payload = job.payload
        subscriber_id = payload.get("subscriber")
        site = subscriptions.job_site(payload.get("site"), payload.get("slug"))
        if site is None or not isinstance(subscriber_id, int):
            return
        confirmation = subscriptions.confirmation(site, subscriber_id)
        if confirmation is None:
            return
        days = subscriptions.links.confirm_seconds // 86400
        send(compose(confirmation_mail(settings, confirmation, days)))

    return handle


def register(
    handlers: Registry,
    subscriptions: Subscriptions,
    settings: Settings,
    send: Callable[[EmailMessage], None] | None = None,
) -> None:
    """Register ``notify.confirm``. ``send`` defaults to the SMTP sender of ``smtp_url``, made
    when a mail is sent (so a server with no mail set up starts, and its jobs wait)."""

    def smtp_send(message: EmailMessage) -> None:
        from rostra.notify.mail import SmtpSender

        SmtpSender.from_settings(settings).send(message)

    handlers.register(CONFIRM_JOB, confirmation_handler(subscriptions, settings, send or smtp_send))
