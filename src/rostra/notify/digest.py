"""Hourly and daily digests: one mail per recipient and period, its comments grouped by thread.

The fan-out (rostra.notify.fanout) records a digest item for each hourly or daily recipient of a
published comment and, in the same transaction, enqueues its period's ``notify.digest`` job:
``run_after`` is the period's end (the next whole hour, the next midnight UTC) and the key names
the cadence and that end, so the first item of a period enqueues the job and the others add
nothing. No cron: the jobs queue is the schedule.

When the job runs it takes the recipients with items due by then, a hundred at a time, builds
each one digest (the comments rendered once per comment and language, shared with the immediate
mails) and sends them over the kept SMTP session; after each hundred (and before a failure is
raised for a retry) it deletes the items it sent, so a retry sends only what is left. After
2,000 recipients it hands the rest to a continuation job, keeping each run well inside its
lease. An item whose subscription ended meanwhile is dropped unsent; a recipient the server
refuses for good is dropped with its items, not retried forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from markupsafe import Markup

from rostra.config import Settings
from rostra.domain.subscriptions import Cadence
from rostra.i18n import translations
from rostra.notify.content import render_html
from rostra.notify.fanout import (
    DIGEST_JOB,
    MAIL_JOB,
    FanoutStore,
    HasPayload,
    Match,
    Notifier,
    Published,
    Rendered,
    digest_job,
    parse_stamp,
)
from rostra.notify.mail import MailDeliveryError
from rostra.notify.message import Mail
from rostra.notify.subscription_mail import Registry, notify_link
from rostra.services.ports import NewJob
from rostra.services.published import PUBLISHED_JOB
from rostra.services.subscriptions import Subscriptions

_LOG = logging.getLogger("rostra.notify")
CHUNK = 100
PER_RUN = 2000

__all__ = [
    "DIGEST_JOB",
    "MAIL_JOB",
    "PUBLISHED_JOB",
    "DigestEntry",
    "DigestStore",
    "Digests",
    "register",
]


@dataclass(frozen=True, slots=True)
class DigestEntry:
    item_id: int
    subscriber_id: int
    comment_id: int
    # None when the subscription or its subscriber is no longer confirmed.
    match: Match | None


class DigestStore(FanoutStore, Protocol):
    """What the digests read and write, beside the fan-out's (rostra.storage.fanout)."""

    def due_subscribers(self, cadence: Cadence, due: datetime, after: int, limit: int) -> list[int]:
        """Subscribers (ids above ``after``, in order) with ``cadence`` items due by ``due``."""
        ...

    def entries(
        self, subscriber_ids: Sequence[int], cadence: Cadence, due: datetime
    ) -> list[DigestEntry]: ...

    def drop(self, item_ids: Sequence[int]) -> None: ...

    def enqueue(self, job: NewJob, now: datetime) -> None: ...


Handler = Callable[[HasPayload], None]


@dataclass
class _Thread:
    title: str
    url: str
    stop_url: str
    comments: list[Rendered] = field(default_factory=list)


class Digests:
    """The ``notify.digest`` handler."""

    def __init__(self, notifier: Notifier, store: DigestStore) -> None:
        self.notifier = notifier
        self.store = store

    def handle(self, job: HasPayload) -> None:
        payload = job.payload
        try:
            cadence = Cadence(str(payload.get("cadence")))
        except ValueError:
            return
        due = parse_stamp(payload.get("due"))
        part = payload.get("part", 0)
        if due is None or cadence is Cadence.IMMEDIATE or not isinstance(part, int):
            return
        after, seen = 0, 0
        while True:
            ids = self.store.due_subscribers(cadence, due, after, CHUNK)
            if not ids:
                return
            self._send_chunk(ids, cadence, due)
            after, seen = ids[-1], seen + len(ids)
            if seen >= PER_RUN:
                later = digest_job(cadence, due, part + 1)
                self.store.enqueue(later, self.notifier.clock())
                return

    def _send_chunk(self, ids: Sequence[int], cadence: Cadence, due: datetime) -> None:
        by_subscriber: dict[int, list[DigestEntry]] = {}
        for entry in self.store.entries(ids, cadence, due):
            by_subscriber.setdefault(entry.subscriber_id, []).append(entry)
        sent: list[int] = []
        try:
            for subscriber_id in ids:
                entries = by_subscriber.get(subscriber_id, [])
                mail = self.digest_mail(entries, cadence, due)
                if mail is not None:
                    try:
                        self.notifier.deliver(mail)
                    except MailDeliveryError as exc:
                        if exc.temporary:
                            raise  # the whole job waits and is retried (the rest unsent)
                        # Refused for good (the address no longer exists): not retried forever.
                        _LOG.warning("digest for subscriber %s refused for good", subscriber_id)
                sent.extend(e.item_id for e in entries)
        finally:
            if sent:
                self.store.drop(sent)

    def digest_mail(
        self, entries: Sequence[DigestEntry], cadence: Cadence, due: datetime
    ) -> Mail | None:
        """One recipient's digest, or None when nothing in it is still live."""
        live: list[tuple[Match, Published]] = []
        for entry in entries:
            published = self.notifier.published(entry.comment_id) if entry.match else None
            if entry.match is not None and published is not None:
                live.append((entry.match, published))
        if not live:
            return None
        notifier = self.notifier
        first_match, first = live[0]
        subscriber, site = first_match.subscriber, first.site
        to = notifier.address(site, subscriber)
        if to is None:
            return None
        language = first_match.subscription.language
        _ = translations(language)
        threads: dict[int, _Thread] = {}
        subscriptions = {m.subscription.id for m, _p in live}
        unsubscribe, manage = notifier.links(site, first_match)
        if len(subscriptions) > 1:
            # Several subscriptions in one mail: its one-click link stops them all.
            token = notifier.subscriptions.links.manage(site.id, subscriber.id)
            unsubscribe = notify_link(notifier.settings, site, "unsubscribe", token)
        for match, published in sorted(live, key=lambda mp: mp[1].comment.created_at):
            rendered = notifier.renderings.comment(published, language)
            thread = threads.get(published.thread.id)
            if thread is None:
                stop, _m = notifier.links(site, match)
                thread = threads[published.thread.id] = _Thread(
                    rendered.title, rendered.url.partition("#")[0], stop
                )
            thread.comments.append(rendered)
        count = len(live)
        subject = _.ngettext(
            "%(count)d new comment on %(site)s", "%(count)d new comments on %(site)s", count
        ) % {"count": count, "site": site.name}
        heading = (
            _.gettext("Your hourly digest of new comments")
            if cadence is Cadence.HOURLY
            else _.gettext("Your daily digest of new comments")
        )
        read = _.gettext("Read it in the discussion")
        stop_thread = _.gettext("Stop following this discussion")
        manage_label = _.gettext("Manage my notifications")
        lines = [heading, ""]
        for thread in threads.values():
            lines += [thread.title, "=" * min(len(thread.title), 72), ""]
            for c in thread.comments:
                lines += [f"{c.author}:", "", c.text, "", f"{read}: {c.url}", ""]
            lines += [f"{stop_thread}: {thread.stop_url}", ""]
        lines += [f"{manage_label}: {manage}", ""]
        html = render_html(
            "digest.html",
            language,
            subject=subject,
            site_name=site.name,
            heading=heading,
            threads=list(threads.values()),
            read=read,
            stop_thread=stop_thread,
            manage=manage_label,
            manage_url=manage,
        )
        stamp = due.strftime("%Y-%m-%dT%H:%MZ")
        return Mail(
            sender=notifier.settings.mail_from,
            to=to,
            subject=subject,
            text="\n".join(lines),
            html=str(Markup(html)),
            key=f"{DIGEST_JOB}:{cadence.value}:{stamp}:{subscriber.id}",
            language=language,
            unsubscribe_url=unsubscribe,
            date=notifier.clock(),
        )


def register(
    handlers: Registry,
    store: DigestStore,
    subscriptions: Subscriptions,
    settings: Settings,
    *,
    clock: Callable[[], datetime],
    send: Callable[[EmailMessage], None] | None = None,
    wrap: Callable[[Handler], Handler] = lambda handler: handler,
) -> Notifier:
    """Register ``notify.published``, ``notify.mail`` and ``notify.digest``; the notifier comes
    back (its ``close`` ends the kept SMTP session). ``send`` defaults to one kept session with
    the SMTP server of ``smtp_url``; ``wrap`` is applied to each handler (the app turns mail
    errors into the runner's retries and dead letters with it)."""
    notifier = Notifier(store, subscriptions, settings, send, clock)
    handlers.register(PUBLISHED_JOB, wrap(notifier.handle_published))
    handlers.register(MAIL_JOB, wrap(notifier.handle_mail))
    handlers.register(DIGEST_JOB, wrap(Digests(notifier, store).handle))
    return notifier
