"""Moderator alerts: mails that tell a site's moderators (and admins) comments wait for them.

``desk.alert`` (enqueued with the event, rostra.services.desk_alerts) runs once per comment
entering the pending or reported queue. It reads who wants to know *now* (accounts not
disabled, moderating the site, alerts on, an address given) and, in one transaction, records an
item per recipient and enqueues the mail that will carry it:

- **immediately**: a ``desk.alert.send`` job for (account, site). Bursts are coalesced: an
  account gets at most one mail per site every ``desk_alert_minutes``. The send job claims the
  (account, site) mark in one conditional write; if the last mail went out less than the window
  ago it enqueues itself for the window's end instead (one job, keyed by that time, however many
  events arrive meanwhile). So a flood of 100 held comments sends one mail at once and at most
  one more when the window ends, each listing what waits then, never 100 mails.
- **hourly or daily digest**: a ``desk.alert.digest`` job per period (``run_after`` the next
  whole hour or midnight UTC, keyed by cadence and that time, as the readers' digests are,
  rostra.notify.digest): no cron, the queue is the schedule.

Each mail, text and HTML, in the account's language or else the site's, gives the waiting
counts per queue (read when it is sent) and the newest few comments it is about, with links to
the desk (``public_url``). Items are deleted once the mail that carries them is sent; a send
that fails for now gives the mark back, so the retry is not held off by its own claim.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from markupsafe import Markup

from rostra.config import Settings
from rostra.domain.models import Site
from rostra.domain.subscriptions import Cadence
from rostra.i18n import translations
from rostra.notify.content import render_html
from rostra.notify.fanout import clean_name, next_boundary, parse_stamp
from rostra.notify.mail import MailDeliveryError
from rostra.notify.message import Mail, compose
from rostra.notify.subscription_mail import Registry, public_root
from rostra.services.desk_alerts import ALERT_JOB, AlertCadence, AlertQueue
from rostra.services.ports import NewJob

SEND_JOB = "desk.alert.send"
DIGEST_JOB = "desk.alert.digest"
#: The comments a mail names (the counts say how many wait in all).
NEWEST = 5
_LOG = logging.getLogger("rostra.notify")


@dataclass(frozen=True, slots=True)
class Recipient:
    account_id: int
    cadence: AlertCadence
    language: str | None
    sealed_address: str


@dataclass(frozen=True, slots=True)
class NewAlertItem:
    account_id: int
    site_id: int
    comment_id: int
    queue: AlertQueue
    cadence: AlertCadence
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Waiting:
    """One comment a mail names."""

    item_id: int
    queue: AlertQueue
    public_id: str
    author: str
    excerpt: str
    thread_title: str
    created_at: datetime


class AlertStore(Protocol):
    """What the alerts read and write (rostra.storage.staff_alerts.SqlStaffAlerts)."""

    def site(self, site_id: int) -> Site | None: ...

    def recipients(self, site_id: int) -> list[Recipient]:
        """Accounts moderating the site (admins: every site), not disabled, alerts on, with an
        address."""
        ...

    def record(self, items: Sequence[NewAlertItem], jobs: Sequence[NewJob], now: datetime) -> None:
        """Record ``items`` and enqueue ``jobs`` in one transaction (repeats add nothing)."""
        ...

    def claim(
        self, account_id: int, site_id: int, now: datetime, window: timedelta
    ) -> datetime | None:
        """Set the (account, site) mark to ``now`` unless it is less than ``window`` old; the
        time the window ends when it is (and the mark is unchanged), else None."""
        ...

    def give_back(self, account_id: int, site_id: int, now: datetime) -> None:
        """Undo a claim made at ``now`` (a mail that could not be sent)."""
        ...

    def last_sent(self, account_id: int, site_id: int) -> datetime | None: ...

    def waiting(
        self, account_id: int, site_id: int, cadence: AlertCadence, due: datetime
    ) -> list[Waiting]:
        """The account's items for the site due by ``due``, newest first."""
        ...

    def due_pairs(self, cadence: AlertCadence, due: datetime) -> list[tuple[int, int]]:
        """(account, site) pairs with ``cadence`` items due by ``due``."""
        ...

    def drop(self, item_ids: Sequence[int]) -> None: ...

    def recipient(self, account_id: int) -> Recipient | None:
        """The account's alert choice now (None when off, gone or disabled)."""
        ...


class HasPayload(Protocol):
    @property
    def payload(self) -> Mapping[str, object]: ...


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def send_job(account_id: int, site_id: int, when: datetime) -> NewJob:
    # Keyed by the second it runs at: the events of one window make one job.
    return NewJob(
        SEND_JOB,
        {"account": account_id, "site": site_id},
        f"{SEND_JOB}:{account_id}:{site_id}:{_stamp(when)}",
        run_after=when,
    )


def digest_job(cadence: AlertCadence, due: datetime) -> NewJob:
    stamp = due.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    return NewJob(
        DIGEST_JOB,
        {"cadence": cadence.value, "due": stamp},
        f"{DIGEST_JOB}:{cadence.value}:{stamp}",
        run_after=due,
    )


def _period(cadence: AlertCadence) -> Cadence:
    return Cadence.HOURLY if cadence is AlertCadence.HOURLY else Cadence.DAILY


class DeskAlerts:
    """The three handlers."""

    def __init__(
        self,
        store: AlertStore,
        settings: Settings,
        open_address: Callable[[Recipient], str | None],
        counts: Callable[[Site], Mapping[str, int]],
        send: Callable[[EmailMessage], None],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.settings = settings
        self.open_address = open_address
        self.counts = counts
        self.send = send
        self.clock = clock
        self.window = timedelta(minutes=settings.desk_alert_minutes)

    # -- desk.alert: who wants to know --------------------------------------------------------
    def handle_alert(self, job: HasPayload) -> None:
        payload = job.payload
        site_id, comment_id = payload.get("site"), payload.get("comment")
        try:
            queue = AlertQueue(str(payload.get("queue")))
        except ValueError:
            return
        if not isinstance(site_id, int) or not isinstance(comment_id, int):
            return
        if not self.settings.smtp_url:
            # Choices saved while a mail server was set: with none now, nothing could be sent,
            # and items and mail jobs would only wait for one (the desk shows the queues anyway).
            return
        now = self.clock()
        items: list[NewAlertItem] = []
        jobs: dict[str, NewJob] = {}
        for r in self.store.recipients(site_id):
            if r.cadence is AlertCadence.IMMEDIATE:
                due = now
                last = self.store.last_sent(r.account_id, site_id)
                when = now if last is None or last + self.window <= now else last + self.window
                job_ = send_job(r.account_id, site_id, when)
            else:
                due = next_boundary(_period(r.cadence), now)
                job_ = digest_job(r.cadence, due)
            items.append(NewAlertItem(r.account_id, site_id, comment_id, queue, r.cadence, due))
            jobs[job_.idempotency_key] = job_
        if items:
            self.store.record(items, list(jobs.values()), now)

    # -- desk.alert.send: one immediate mail, at most one a window -------------------------------
    def handle_send(self, job: HasPayload) -> None:
        account_id, site_id = job.payload.get("account"), job.payload.get("site")
        if not isinstance(account_id, int) or not isinstance(site_id, int):
            return
        now = self.clock()
        recipient = self.store.recipient(account_id)
        waiting = self.store.waiting(account_id, site_id, AlertCadence.IMMEDIATE, now)
        if not waiting:
            return  # an earlier mail of the window carried them
        if recipient is None or recipient.cadence is not AlertCadence.IMMEDIATE:
            self.store.drop([w.item_id for w in waiting])  # alerts turned off meanwhile
            return
        held_until = self.store.claim(account_id, site_id, now, self.window)
        if held_until is not None:
            # Sent less than a window ago: these wait for the window's end, in one mail.
            self.store.record([], [send_job(account_id, site_id, held_until)], now)
            return
        try:
            self._mail(recipient, site_id, waiting, None)
        except Exception:
            self.store.give_back(account_id, site_id, now)
            raise
        self.store.drop([w.item_id for w in waiting])

    # -- desk.alert.digest: each account's digest at the period's end ---------------------------
    def handle_digest(self, job: HasPayload) -> None:
        try:
            cadence = AlertCadence(str(job.payload.get("cadence")))
        except ValueError:
            return
        due = parse_stamp(job.payload.get("due"))
        if due is None or cadence not in (AlertCadence.HOURLY, AlertCadence.DAILY):
            return
        for account_id, site_id in self.store.due_pairs(cadence, due):
            waiting = self.store.waiting(account_id, site_id, cadence, due)
            recipient = self.store.recipient(account_id)
            if recipient is not None and recipient.cadence is cadence and waiting:
                self._mail(recipient, site_id, waiting, cadence)
            self.store.drop([w.item_id for w in waiting])

    # -- the mail ---------------------------------------------------------------------------------
    def _mail(
        self,
        recipient: Recipient,
        site_id: int,
        waiting: Sequence[Waiting],
        cadence: AlertCadence | None,
    ) -> None:
        site = self.store.site(site_id)
        to = self.open_address(recipient)
        if site is None or to is None:
            return
        mail = self.alert_mail(site, recipient, to, waiting, cadence)
        try:
            self.send(compose(mail))
        except MailDeliveryError as exc:
            if exc.temporary:
                raise
            _LOG.warning("desk alert for account %s refused for good", recipient.account_id)

    def alert_mail(
        self,
        site: Site,
        recipient: Recipient,
        to: str,
        waiting: Sequence[Waiting],
        cadence: AlertCadence | None,
    ) -> Mail:
        languages = self.settings.languages
        language = recipient.language or site.settings.default_language
        if language not in languages:
            language = self.settings.default_language
        _ = translations(language)
        counts = self.counts(site)
        root = f"{public_root(self.settings)}/moderation/{site.slug}"
        mine = f"{public_root(self.settings)}/moderation/alerts"
        pending, reported = counts.get("pending", 0), counts.get("reported", 0)
        subject = _.gettext("%(site)s: %(pending)d held, %(reported)d reported") % {
            "site": clean_name(site.name, site.slug),
            "pending": pending,
            "reported": reported,
        }
        if cadence is AlertCadence.HOURLY:
            heading = _.gettext("Your hourly digest of the moderation queues")
        elif cadence is AlertCadence.DAILY:
            heading = _.gettext("Your daily digest of the moderation queues")
        else:
            heading = _.gettext("Comments are waiting for a moderator")
        queues = [
            (_.gettext("Held for review"), pending, f"{root}/queue/pending"),
            (_.gettext("Reported by readers"), reported, f"{root}/queue/reported"),
            # Counted, never alerted on: flagged comments are published already (borderline band).
            (
                _.gettext("Published comments to review"),
                counts.get("review", 0),
                f"{root}/queue/review",
            ),
        ]
        labels = {
            AlertQueue.PENDING: _.gettext("held"),
            AlertQueue.REPORTED: _.gettext("reported"),
        }
        newest = [
            {
                "label": labels[w.queue],
                "author": clean_name(w.author, _.gettext("A reader")),
                "title": clean_name(w.thread_title),
                "excerpt": clean_name(w.excerpt),
                "url": f"{root}/comments/{w.public_id}",
            }
            for w in list(waiting)[:NEWEST]
        ]
        newest_label = _.gettext("Newest")
        open_desk = _.gettext("Open the desk")
        change = _.gettext("Change these alerts")
        lines = [heading, ""]
        lines += [f"{label}: {n} — {url}" for label, n, url in queues]
        lines += ["", f"{newest_label}:", ""]
        for c in newest:
            lines += [f"[{c['label']}] {c['author']} — {c['title']}", f"  {c['excerpt']}",
                      f"  {c['url']}", ""]  # fmt: skip
        lines += [f"{open_desk}: {root}", f"{change}: {mine}", ""]
        html = render_html(
            "desk_alert.html",
            language,
            subject=subject,
            heading=heading,
            queues=queues,
            newest=newest,
            newest_label=newest_label,
            open_desk=open_desk,
            desk_url=root,
            change=change,
            change_url=mine,
        )
        first = min(w.item_id for w in waiting) if waiting else 0
        return Mail(
            sender=self.settings.mail_from,
            to=to,
            subject=subject,
            text="\n".join(lines),
            html=str(Markup(html)),
            key=f"{SEND_JOB if cadence is None else DIGEST_JOB}:{recipient.account_id}:{first}",
            language=language,
            date=self.clock(),
        )


Handler = Callable[[HasPayload], None]


def register(
    handlers: Registry,
    alerts: DeskAlerts,
    *,
    wrap: Callable[[Handler], Handler] = lambda handler: handler,
) -> None:
    """Register ``desk.alert``, ``desk.alert.send`` and ``desk.alert.digest``."""
    handlers.register(ALERT_JOB, wrap(alerts.handle_alert))
    handlers.register(SEND_JOB, wrap(alerts.handle_send))
    handlers.register(DIGEST_JOB, wrap(alerts.handle_digest))
