"""Telling a site's admins that Rostra disabled one of its webhook endpoints: the
``webhook.disabled`` job's handler.

The failure that disables an endpoint enqueues, in its own transaction, one job per admin with
an alert address (rostra.storage.webhooks); each job sends that admin one mail, text and HTML,
in their alert language or else the site's, naming the endpoint's URL, the last error, the
failures in a row and when, with a link to the desk's webhooks page and how to enable it again.
The Message-ID comes from the job's idempotency key (one per admin and disabling), so a job run
again after a crash carries the same id and a mail client shows it once.

Nothing is sent when the endpoint is gone or enabled again meanwhile, or the account is no
longer an admin with an address: the mail would tell of something already dealt with. Without
``smtp_url`` the job ends at once (the desk's banner still tells), rather than waiting in the
queue for a mail server that is not coming.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Protocol

from babel.dates import format_datetime

from rostra.config import Settings
from rostra.domain.models import Site
from rostra.domain.webhooks import Endpoint
from rostra.i18n import translations
from rostra.jobs.queue import Job
from rostra.notify.content import render_html
from rostra.notify.fanout import clean_name
from rostra.notify.mail import MailDeliveryError
from rostra.notify.message import Mail, compose
from rostra.notify.subscription_mail import public_root
from rostra.services.webhooks import NOTICE_JOB, NoticeRecipient

_LOG = logging.getLogger("rostra.webhooks")


class NoticeStore(Protocol):
    """What the notice reads (rostra.storage.webhooks.SqlWebhookStore)."""

    def endpoint(self, endpoint_id: int) -> Endpoint | None: ...

    def notice_recipient(self, account_id: int) -> NoticeRecipient | None: ...

    def site(self, site_id: int) -> Site | None: ...


class DisabledNotice:
    """The ``webhook.disabled`` handler."""

    def __init__(
        self,
        store: NoticeStore,
        settings: Settings,
        open_address: Callable[[NoticeRecipient], str | None],
        send: Callable[[EmailMessage], None],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.settings = settings
        self.open_address = open_address
        self.send = send
        self.clock = clock

    def __call__(self, job: Job) -> None:
        if not self.settings.smtp_url:
            return  # no mail server (any more): the desk's banner is all there is to tell
        payload = job.payload
        endpoint_id, site_id = payload.get("endpoint"), payload.get("site_id")
        account_id = payload.get("account")
        if not all(isinstance(v, int) for v in (endpoint_id, site_id, account_id)):
            return
        assert isinstance(endpoint_id, int) and isinstance(site_id, int)
        assert isinstance(account_id, int)
        endpoint = self.store.endpoint(endpoint_id)
        if endpoint is None or endpoint.enabled or endpoint.site_id != site_id:
            return  # removed or enabled again meanwhile: nothing left to tell
        recipient = self.store.notice_recipient(account_id)
        site = self.store.site(site_id)
        to = None if recipient is None else self.open_address(recipient)
        if recipient is None or site is None or to is None:
            return
        mail = self.mail(site, endpoint, recipient, to, job.idempotency_key)
        try:
            self.send(compose(mail))
        except MailDeliveryError as exc:
            if exc.temporary:
                raise
            _LOG.warning("webhook notice for account %s refused for good", account_id)

    def mail(
        self, site: Site, endpoint: Endpoint, recipient: NoticeRecipient, to: str, key: str
    ) -> Mail:
        languages = self.settings.languages
        language = recipient.language or site.settings.default_language
        if language not in languages:
            language = self.settings.default_language
        _ = translations(language)
        page = f"{public_root(self.settings)}/moderation/{site.slug}/webhooks"
        when = endpoint.disabled_at or self.clock()
        facts = {
            "site": clean_name(site.name, site.slug),
            "url": endpoint.url,
            "n": endpoint.consecutive_failures,
            "date": format_datetime(when, "medium", tzinfo=UTC, locale=language),
            "error": endpoint.disabled_reason or "",
            "id": endpoint.id,
            "slug": site.slug,
        }
        subject = _.gettext("%(site)s: a webhook endpoint was disabled") % facts
        heading = _.gettext("Rostra disabled a webhook endpoint")
        said = (
            _.ngettext(
                "Rostra stopped sending events to %(url)s after %(n)d failed delivery in a row, "
                "on %(date)s UTC.",
                "Rostra stopped sending events to %(url)s after %(n)d failed deliveries in a "
                "row, on %(date)s UTC.",
                endpoint.consecutive_failures,
            )
            % facts
        )
        last = _.gettext("Last error: %(error)s") % facts
        meanwhile = _.gettext(
            "Events that happen while it is disabled are not sent to it, and those still "
            "waiting for it are given up."
        )
        how = (
            _.gettext(
                "Once the receiver works again, enable the endpoint on the desk's webhooks page "
                "(or run: rostra webhook enable %(slug)s %(id)d); its count of failures starts "
                "again from zero."
            )
            % facts
        )
        open_page = _.gettext("Open the webhooks page")
        text = "\n\n".join([heading, said, last, meanwhile, how, f"{open_page}: {page}", ""])
        html = render_html(
            "webhook_disabled.html",
            language,
            subject=subject,
            heading=heading,
            said=said,
            last=last,
            meanwhile=meanwhile,
            how=how,
            open_page=open_page,
            page=page,
        )
        return Mail(
            sender=self.settings.mail_from,
            to=to,
            subject=subject,
            text=text,
            html=html,
            key=key,
            language=language,
            date=self.clock(),
        )


class Registry(Protocol):
    def register(self, kind: str, handler: Callable[[Job], None]) -> None: ...


def register(handlers: Registry, notice: Callable[[Job], None]) -> None:
    """Register ``webhook.disabled`` (``rostra serve``'s runner and ``rostra worker``)."""
    handlers.register(NOTICE_JOB, notice)
