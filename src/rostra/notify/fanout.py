"""The mails a published comment causes: the fan-out, then one mail per recipient.

``notify.published`` (enqueued with the comment, rostra.services.published) runs once per
comment: it finds the confirmed subscriptions that match (the replies to the comment's parent,
every comment of its thread), drops the comment's own author, keeps one subscription per
subscriber (the most immediate cadence, a reply subscription before the thread's), and in one
transaction enqueues a ``notify.mail`` job per immediate recipient (key per comment and
subscriber, so a fan-out run again adds no second mail) and records a digest item for each
hourly or daily one, with its period's ``notify.digest`` job (rostra.notify.digest).

``notify.mail`` checks that the subscription is still live when it runs (an address that left
meanwhile gets nothing), builds the mail and sends it. What a fan-out's mails share is read and
made once: the comment and its live immediate recipients, as the fan-out read them (or the first
of its mail jobs, for a fan-out run elsewhere), are kept for ``KEEP_SECONDS`` (a reader who
leaves, or a comment deleted, stops its mails within that time; one confirmed since is read
alone), and the comment's part of the mail (its
sanitised HTML, its text, its link, the sentences around it) is rendered once per comment and
language; each mail only adds its own links and headers. On the kept SMTP connection
(rostra.notify.mail.PooledSender: a fan-out to a thousand readers does not log in a thousand
times) a mail goes as bytes rendered directly (rostra.notify.message.render), not through the
email package's generator, which cost more than the rest of the mail.

Threading: each recipient's mail about a comment has the Message-ID of (comment, recipient);
its In-Reply-To is that recipient's mail about the parent comment, and its References start
with an id per (thread, recipient), so a mail client threads a conversation even where some of
it was never mailed. The payloads hold ids only, never an address or a comment's text.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import quote, urlsplit, urlunsplit

from markupsafe import Markup, escape

from rostra.config import Settings, parse_mailbox
from rostra.domain.models import Comment, Site, Thread
from rostra.domain.subscriptions import Cadence, Subscriber, Subscription, Target
from rostra.i18n import translations
from rostra.notify.content import render_html
from rostra.notify.mail import PooledSender, SmtpSender
from rostra.notify.message import Mail, compose, message_id, render
from rostra.notify.subscription_mail import notify_link, public_root
from rostra.services.formatting import render_markdown
from rostra.services.ports import NewJob
from rostra.services.subscriptions import Subscriptions

MAIL_JOB = "notify.mail"
DIGEST_JOB = "notify.digest"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Stand-ins for the two links of each mail in a body rendered once per comment and language.
_UNSUBSCRIBE = "\x00unsubscribe\x00"
_MANAGE = "\x00manage\x00"
_RANK = {Cadence.IMMEDIATE: 0, Cadence.HOURLY: 1, Cadence.DAILY: 2}
#: How long the mail jobs of one comment reuse what they read of it and of its recipients.
KEEP_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Published:
    """A comment as the fan-out needs it, with its thread, site and parent."""

    site: Site
    thread: Thread
    comment: Comment
    email_hash: str | None
    parent: Comment | None


@dataclass(frozen=True, slots=True)
class Match:
    """A live subscription and its (confirmed) subscriber."""

    subscription: Subscription
    subscriber: Subscriber


@dataclass(frozen=True, slots=True)
class NewDigestItem:
    site_id: int
    subscriber_id: int
    subscription_id: int
    comment_id: int
    cadence: Cadence
    due_at: datetime


class FanoutStore(Protocol):
    """What the fan-out reads and writes (rostra.storage.fanout.SqlFanout)."""

    def published(self, comment_id: int) -> Published | None: ...

    def matches(self, published: Published) -> list[Match]:
        """Confirmed subscriptions of confirmed subscribers to the comment's thread or to the
        replies to its parent."""
        ...

    def author_hashes(self, published: Published) -> set[str]:
        """The e-mail hashes the comment's author is known by in its thread: its own, and
        those its reader token left on other comments there."""
        ...

    def fan_out(
        self,
        mails: Sequence[NewJob],
        items: Sequence[NewDigestItem],
        digests: Sequence[NewJob],
        now: datetime,
    ) -> None:
        """Enqueue ``mails`` and ``digests`` and record ``items``, in one transaction (a
        repeated key or item adds nothing)."""
        ...

    def live(self, subscription_id: int) -> Match | None:
        """The subscription if it and its subscriber are still confirmed."""
        ...

    def live_mails(self, published: Published) -> list[Match]:
        """The confirmed immediate subscriptions, with their confirmed subscribers, that
        ``matches`` would find: every one a mail of this comment can be for, in one read."""
        ...


def clean_name(text: str, fallback: str = "") -> str:
    """``text`` fit for a mail's header: control characters (a line break could add headers of
    its own) become a space, never a refusal: a mail is not lost to an author's odd name."""
    cleaned = " ".join(_CONTROL.sub(" ", text).split())
    return cleaned or fallback


def comment_link(settings: Settings, site: Site, thread: Thread, comment: Comment) -> str:
    """The comment in its article: the thread's URL and the comment's fragment when that URL is
    on one of the site's origins (the CMS's own page), else Rostra's page of the thread."""
    parts = urlsplit(thread.url) if thread.url else None
    if parts and parts.scheme in ("http", "https") and parts.hostname:
        origin = f"{parts.scheme}://{parts.netloc}"
        if site.allows_origin(origin):
            page = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
            return f"{page}#c-{comment.public_id}"
    thread_id = quote(thread.external_id, safe="")
    return f"{public_root(settings)}/t/{site.slug}?thread={thread_id}#c-{comment.public_id}"


def mail_key(comment_id: int, subscriber_id: int) -> str:
    return f"{MAIL_JOB}:{comment_id}:{subscriber_id}"


def next_boundary(cadence: Cadence, now: datetime) -> datetime:
    """The end of the digest period ``now`` is in: the next whole hour, or the next midnight
    (UTC)."""
    now = now.astimezone(UTC)
    if cadence is Cadence.HOURLY:
        return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def digest_job(cadence: Cadence, due: datetime, part: int = 0) -> NewJob:
    stamp = due.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    key = f"{DIGEST_JOB}:{cadence.value}:{stamp}" + (f":{part}" if part else "")
    return NewJob(
        DIGEST_JOB, {"cadence": cadence.value, "due": stamp, "part": part}, key, run_after=due
    )


def parse_stamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def choose(matches: Sequence[Match], excluded: set[str]) -> list[Match]:
    """One subscription per subscriber, the author's own left out: the most immediate cadence,
    then a reply subscription before the thread's (its unsubscribe link is the closer one)."""
    best: dict[int, Match] = {}
    for match in matches:
        subscriber = match.subscriber
        if subscriber.email_hash is not None and subscriber.email_hash in excluded:
            continue
        rank = (_RANK[match.subscription.cadence], match.subscription.target is Target.THREAD)
        held = best.get(subscriber.id)
        if held is None or rank < (
            _RANK[held.subscription.cadence],
            held.subscription.target is Target.THREAD,
        ):
            best[subscriber.id] = match
    return [best[k] for k in sorted(best)]


def fan_out(
    store: FanoutStore,
    comment_id: int,
    now: datetime,
    *,
    published: Published | None = None,
    keep: Callable[[Published, list[Match]], object] | None = None,
) -> int:
    """Enqueue the mails and record the digest items of one published comment; how many
    recipients it found (0 for a comment no longer published). ``published``: the comment, when
    the caller has just read it; ``keep`` is given the live immediate subscriptions read here,
    which the comment's mails can use (Notifier.live)."""
    published = published or store.published(comment_id)
    if published is None:
        return 0
    matches = store.matches(published)
    if keep is not None:
        keep(published, [m for m in matches if m.subscription.cadence is Cadence.IMMEDIATE])
    chosen = choose(matches, store.author_hashes(published))
    mails: list[NewJob] = []
    items: list[NewDigestItem] = []
    digests: dict[str, NewJob] = {}
    for match in chosen:
        subscription, subscriber = match.subscription, match.subscriber
        if subscription.cadence is Cadence.IMMEDIATE:
            mails.append(
                NewJob(
                    MAIL_JOB,
                    {"comment": comment_id, "subscription": subscription.id},
                    mail_key(comment_id, subscriber.id),
                )
            )
            continue
        due = next_boundary(subscription.cadence, now)
        items.append(
            NewDigestItem(
                published.site.id,
                subscriber.id,
                subscription.id,
                comment_id,
                subscription.cadence,
                due,
            )
        )
        job = digest_job(subscription.cadence, due)
        digests[job.idempotency_key] = job
    if mails or items:
        store.fan_out(mails, items, list(digests.values()), now)
    return len(chosen)


# -- rendering --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendered:
    """A comment's part of a mail in one language, rendered once."""

    author: str
    title: str
    url: str
    text: str  # the comment's source, as its author wrote it
    html: Markup  # from the one sanitising renderer


class Renderings:
    """Rendered comments by (comment id, language), the newest few hundred kept."""

    def __init__(self, settings: Settings, size: int = 512) -> None:
        self.settings = settings
        self.size = size
        self._kept: OrderedDict[tuple[int, str], Rendered] = OrderedDict()
        self._mail: OrderedDict[tuple[int, str], tuple[str, str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def comment(self, published: Published, language: str) -> Rendered:
        key = (published.comment.id, language)
        with self._lock:
            found = self._kept.get(key)
        if found is not None:
            return found
        comment = published.comment
        _ = translations(language).gettext
        rendered = Rendered(
            author=clean_name(comment.author_name, _("A reader")),
            title=clean_name(published.thread.title, published.thread.external_id),
            url=comment_link(self.settings, published.site, published.thread, comment),
            text=comment.body.strip(),
            html=Markup(render_markdown(comment.body)),
        )
        with self._lock:
            self._kept[key] = rendered
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return rendered

    def mail(self, published: Published, language: str) -> tuple[str, str, str]:
        """(subject, text, html) of the comment's mail in ``language``, its links stand-ins."""
        key = (published.comment.id, language)
        with self._lock:
            found = self._mail.get(key)
        if found is not None:
            return found
        r = self.comment(published, language)
        _ = translations(language).gettext
        params = {"author": r.author, "title": r.title}
        reply = published.parent is not None
        subject = (
            _("%(author)s replied under “%(title)s”")
            if reply
            else _("%(author)s commented on “%(title)s”")
        ) % params
        heading = _("%(author)s wrote, under “%(title)s”:") % params
        read = _("Read it in the discussion")
        stop = _("Stop these mails")
        manage = _("Manage my notifications")
        text = "\n".join(
            [heading, "", r.text, "", f"{read}: {r.url}", "", f"{stop}: {_UNSUBSCRIBE}",
             f"{manage}: {_MANAGE}", ""]
        )  # fmt: skip
        html = render_html(
            "notification.html",
            language,
            subject=subject,
            site_name=published.site.name,
            heading=heading,
            body=r.html,
            url=r.url,
            read=read,
            stop=stop,
            manage=manage,
            unsubscribe_url=Markup(_UNSUBSCRIBE),
            manage_url=Markup(_MANAGE),
        )
        made = (subject, text, html)
        with self._lock:
            self._mail[key] = made
            while len(self._mail) > self.size:
                self._mail.popitem(last=False)
        return made


def fill(template: str, unsubscribe: str, manage: str, *, html: bool) -> str:
    """``template`` with this mail's two links in place of their stand-ins."""
    if html:
        unsubscribe, manage = str(escape(unsubscribe)), str(escape(manage))
    return template.replace(_UNSUBSCRIBE, unsubscribe).replace(_MANAGE, manage)


# -- the handlers -----------------------------------------------------------------------------


class HasPayload(Protocol):
    @property
    def payload(self) -> Mapping[str, object]: ...


class Notifier:
    """Builds and sends the mails of published comments (``notify.mail``) and, through
    rostra.notify.digest, the digests."""

    def __init__(
        self,
        store: FanoutStore,
        subscriptions: Subscriptions,
        settings: Settings,
        send: Callable[[EmailMessage], None] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.subscriptions = subscriptions
        self.settings = settings
        # Left out: one kept session with the SMTP server of ``smtp_url``, opened at the first
        # mail (so a server with no mail set up starts, and its jobs wait).
        self.pool = None if send else PooledSender(lambda: SmtpSender.from_settings(settings))
        self.send = send or self.pool.send  # type: ignore[union-attr]
        self.clock = clock
        self.renderings = Renderings(settings)
        self.domain = parse_mailbox(settings.mail_from, "mail_from")[1].rpartition("@")[2]
        self._published: OrderedDict[int, tuple[float, Published | None]] = OrderedDict()
        self._live: OrderedDict[int, tuple[float, dict[int, Match]]] = OrderedDict()

    def close(self) -> None:
        """Close the kept SMTP session, if any (a server shutting down)."""
        if self.pool is not None:
            self.pool.close()

    def links(self, site: Site, match: Match) -> tuple[str, str]:
        """(unsubscribe from this subscription, manage everything) for one recipient."""
        links = self.subscriptions.links
        unsubscribe = links.unsubscribe(site.id, match.subscription)
        manage = links.manage(site.id, match.subscriber.id)
        return (
            notify_link(self.settings, site, "unsubscribe", unsubscribe),
            notify_link(self.settings, site, "manage", manage),
        )

    def address(self, site: Site, subscriber: Subscriber) -> str | None:
        sealed = subscriber.sealed_address
        return None if sealed is None else self.subscriptions.box.open(sealed, site.id)

    def published(self, comment_id: int) -> Published | None:
        """The comment, kept for a few seconds: a fan-out's mails all ask for the same one."""
        now = time.monotonic()
        kept = self._published.get(comment_id)
        # Briefly: a comment deleted or rejected since must stop its mails soon after.
        if kept is not None and now - kept[0] < KEEP_SECONDS:
            return kept[1]
        found = self.store.published(comment_id)
        self._published[comment_id] = (now, found)
        while len(self._published) > 64:
            self._published.popitem(last=False)
        return found

    def live(self, published: Published, subscription_id: int) -> Match | None:
        """The subscription if it and its subscriber are still confirmed: read for all of the
        comment's immediate recipients at once and kept as long as the comment is, so a
        fan-out's thousand mails make one read, not a thousand. One not among them (confirmed
        since) is read alone."""
        kept = self._live.get(published.comment.id)
        if kept is None or time.monotonic() - kept[0] >= KEEP_SECONDS:
            kept = self.keep_live(published, self.store.live_mails(published))
        match = kept[1].get(subscription_id)
        return match if match is not None else self.store.live(subscription_id)

    def keep_live(
        self, published: Published, matches: Sequence[Match]
    ) -> tuple[float, dict[int, Match]]:
        """Keep ``matches``, just read, as the comment's live immediate recipients."""
        kept = (time.monotonic(), {m.subscription.id: m for m in matches})
        self._live[published.comment.id] = kept
        while len(self._live) > 64:
            self._live.popitem(last=False)
        return kept

    def deliver(self, mail: Mail) -> None:
        """Send ``mail``: as bytes rendered directly on the kept SMTP session, or composed for
        the ``send`` given instead (a test's, the demo's)."""
        if self.pool is not None:
            self.pool.send(render(mail))
        else:
            self.send(compose(mail))

    def comment_mail(self, published: Published, match: Match) -> Mail | None:
        subscriber = match.subscriber
        to = self.address(published.site, subscriber)
        if to is None:
            return None
        language = match.subscription.language
        subject, text, html = self.renderings.mail(published, language)
        unsubscribe, manage = self.links(published.site, match)
        thread_ref = message_id(f"notify.thread:{published.thread.id}:{subscriber.id}", self.domain)
        references: tuple[str, ...] = (thread_ref,)
        in_reply_to = thread_ref
        if published.parent is not None:
            in_reply_to = message_id(mail_key(published.parent.id, subscriber.id), self.domain)
            references = (thread_ref, in_reply_to)
        return Mail(
            sender=self.settings.mail_from,
            to=to,
            subject=subject,
            text=fill(text, unsubscribe, manage, html=False),
            html=fill(html, unsubscribe, manage, html=True),
            key=mail_key(published.comment.id, subscriber.id),
            language=language,
            unsubscribe_url=unsubscribe,
            in_reply_to=in_reply_to,
            references=references,
            date=self.clock(),
        )

    def handle_published(self, job: HasPayload) -> None:
        comment_id = job.payload.get("comment")
        if not isinstance(comment_id, int):
            return
        # Its mails, run next, take the comment and their recipients as the fan-out read them.
        published = self.published(comment_id)
        if published is not None:
            fan_out(self.store, comment_id, self.clock(), published=published, keep=self.keep_live)

    def handle_mail(self, job: HasPayload) -> None:
        """Send one recipient's mail, if its subscription is still live."""
        payload = job.payload
        comment_id, subscription_id = payload.get("comment"), payload.get("subscription")
        if not isinstance(comment_id, int) or not isinstance(subscription_id, int):
            return
        published = self.published(comment_id)
        if published is None:
            return  # the comment is no longer published: nothing to send
        match = self.live(published, subscription_id)
        if match is None:
            return  # the reader left: nothing to send
        mail = self.comment_mail(published, match)
        if mail is None:
            return
        # A MailDeliveryError says whether a retry can help; the app turns it into the
        # runner's retry or dead letter (rostra.app.mail_job_errors).
        self.deliver(mail)
