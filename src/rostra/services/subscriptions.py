""" "Notify me of": subscribing (with a comment, or following a thread alone), the double opt-in,
and leaving — all without signing in, through signed links.

- A reader's wish (an address, what to follow, a cadence, a language) is checked before any
  transaction (:meth:`Subscriptions.wish`), then recorded inside the caller's transaction
  (:meth:`Subscriptions.record`): with a comment, in the comment's own transaction
  (rostra.services.posting), so the comment, its subscription and its confirmation job commit
  together or not at all.
- The address is sealed with AES-GCM (``AddressBox`` of rostra.services.sealed_addresses, a
  key derived from the secret with HKDF for this purpose alone) and found by its keyed hash
  (the e-mail hash of rostra.services.tokens); it is never stored, logged or put in a job in
  clear.
- An address's first subscription on a site enqueues one ``notify.confirm`` job, whose key is
  per address, site and day: a hundred requests make one mail a day at most, and the per-minute
  limits (per reader, per client address, per target address) refuse the flood itself.
- Links (:class:`NotifyLinks`) are HMACs under purpose keys of the secret: a confirmation link
  expires after ``notify_confirm_days`` and works once (it names the nonce in force, which using
  it clears); unsubscribe and manage links name one subscription or one subscriber and stay
  valid (a mail's link must keep working), their use being idempotent.
- Without a mail server (no ``smtp_url``: ``mail=False``) nothing is offered or taken: a wish
  other than "nothing" and a follow request are refused with :func:`notifications_off`, before
  anything is written, so no job waits for a server that does not exist. An address given with
  a comment alone is still taken.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rostra.domain import rules
from rostra.domain.clock import utc_now
from rostra.domain.errors import (
    N_,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RostraError,
    TooManyRequests,
)
from rostra.domain.models import Author, Comment, Site, Thread
from rostra.domain.subscriptions import (
    Cadence,
    NotifyChoice,
    Subscriber,
    Subscription,
    SubscriptionView,
    Target,
    check_address,
)
from rostra.services.ports import NewJob, Store, WriteTransaction
from rostra.services.sealed_addresses import AddressBox
from rostra.services.tokens import ReaderTokens, Signer, address_hash

CONFIRM_JOB = "notify.confirm"
MAX_TOKEN = 300


@dataclass(frozen=True, slots=True)
class NotifyLimits:
    """Subscription requests a minute, per reader, per client address and per target address:
    enough for a person, too few to mail-bomb anyone through Rostra."""

    per_reader: int = 10
    per_client: int = 20
    per_address: int = 5
    window: int = 60


class SubscriptionReads(Protocol):
    """What the pages read (rostra.storage.subscriptions.SqlSubscriptionReads)."""

    def subscriber(self, subscriber_id: int) -> Subscriber | None: ...

    def subscription(self, subscription_id: int) -> Subscription | None: ...

    def live_subscriptions(self, subscriber_id: int) -> list[SubscriptionView]: ...

    def confirm_nonce(self, subscriber_id: int) -> str | None: ...


def notifications_off(field: str | None = None) -> Conflict:
    """The refusal of any subscription while the server has no mail server to send with."""
    return Conflict(
        N_("E-mail notifications are not enabled on this server."), field=field, code="notify-off"
    )


class LinkRefused(RostraError):
    """A notification link that cannot be used; the code says why."""

    status = 403
    code = "link-invalid"


def _malformed() -> LinkRefused:
    return LinkRefused(N_("This link is not valid."), code="link-invalid")


class LinkExpired(RostraError):
    """A confirmation link past its ``notify_confirm_days``: gone, not forbidden."""

    status = 410
    code = "link-expired"


def _expired() -> LinkExpired:
    return LinkExpired(N_("This link has expired. Subscribe again to get a new one."))


def _used() -> Conflict:
    return Conflict(N_("This link was already used, or a newer one replaced it."), code="link-used")


@dataclass(frozen=True, slots=True)
class ConfirmLink:
    site_id: int
    subscriber_id: int
    nonce: str
    expires: int


class NotifyLinks:
    """Issues and checks the signed links of notification mails, one purpose key each."""

    def __init__(self, signer: Signer, confirm_days: int = 7) -> None:
        self._signer = signer
        self.confirm_seconds = confirm_days * 86400

    def _mac(self, purpose: str, payload: str) -> str:
        return self._signer.mac(f"notify-{purpose}", payload)[:32]

    def _sign(self, purpose: str, *parts: object) -> str:
        payload = ".".join(str(p) for p in (purpose, *parts))
        return f"{payload}.{self._mac(purpose, payload)}"

    def _parts(self, token: str, purpose: str, count: int, site_id: int) -> list[str]:
        if not token or len(token) > MAX_TOKEN or not token.isascii():
            raise _malformed()
        parts = token.split(".")
        if len(parts) != count + 2 or parts[0] != purpose:
            raise _malformed()
        payload, mac = ".".join(parts[:-1]), parts[-1]
        if not hmac.compare_digest(mac.encode(), self._mac(purpose, payload).encode()):
            raise _malformed()
        values = parts[1:-1]
        if values[0] != str(site_id):
            raise LinkRefused(N_("This link belongs to another site."), code="link-wrong-site")
        return values

    @staticmethod
    def _number(text: str) -> int:
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise _malformed()
        return int(text)

    def confirm(self, site_id: int, subscriber_id: int, nonce: str, now: datetime) -> str:
        expires = int(now.timestamp()) + self.confirm_seconds
        return self._sign("c1", site_id, subscriber_id, nonce, expires)

    def check_confirm(self, token: str, site_id: int, now: datetime) -> ConfirmLink:
        _site, subscriber, nonce, expires = self._parts(token, "c1", 4, site_id)
        link = ConfirmLink(site_id, self._number(subscriber), nonce, self._number(expires))
        if now.timestamp() > link.expires:
            raise _expired()
        return link

    def unsubscribe(self, site_id: int, subscription: Subscription) -> str:
        return self._sign("u1", site_id, subscription.subscriber_id, subscription.id)

    def manage(self, site_id: int, subscriber_id: int) -> str:
        return self._sign("m1", site_id, subscriber_id)

    def check_unsubscribe(self, token: str, site_id: int) -> tuple[int, int | None]:
        """(subscriber, subscription) a leaving link names; no subscription: all of them
        (the manage link, which a confirmation mail's List-Unsubscribe carries)."""
        if token.startswith("m1."):
            return self.check_manage(token, site_id), None
        _site, subscriber, subscription = self._parts(token, "u1", 3, site_id)
        return self._number(subscriber), self._number(subscription)

    def check_manage(self, token: str, site_id: int) -> int:
        _site, subscriber = self._parts(token, "m1", 2, site_id)
        return self._number(subscriber)


@dataclass(frozen=True, slots=True)
class Wish:
    """A checked request to be notified, not yet recorded."""

    site_id: int
    site_slug: str
    address: str
    email_hash: str
    target: Target
    cadence: Cadence
    language: str
    reader_key: str | None
    client_key: str | None


@dataclass(frozen=True, slots=True)
class FollowRequest:
    """Following a thread without commenting."""

    thread_external_id: str
    email: str | None
    cadence: str | None = None
    language: str = "en"
    client_ip: str | None = None
    # The reader, when a reader token came: counted under the per-reader limit.
    author: Author | None = None


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What the confirmation mail needs: the address, opened, and the links' tokens."""

    address: str
    language: str
    site: Site
    confirm_token: str
    manage_token: str
    key: str


@dataclass(frozen=True, slots=True)
class Manage:
    subscriber: Subscriber
    subscriptions: list[SubscriptionView]
    token: str


def parse_choice(value: str | None) -> NotifyChoice:
    try:
        return NotifyChoice(value or "none")
    except ValueError:
        raise InvalidInput(
            N_("Choose what to be notified of: none, replies or thread."),
            field="notify",
            code="invalid-notify",
        ) from None


def parse_cadence(value: str | None) -> Cadence:
    try:
        return Cadence(value or "immediate")
    except ValueError:
        raise InvalidInput(
            N_("Choose how often to be notified: immediate, hourly or daily."),
            field="cadence",
            code="invalid-cadence",
        ) from None


class Subscriptions:
    """The subscription use cases over one store."""

    def __init__(
        self,
        store: Store,
        reads: SubscriptionReads,
        signer: Signer,
        tokens: ReaderTokens,
        box: AddressBox,
        *,
        confirm_days: int = 7,
        languages: Sequence[str] = ("en", "fr"),
        limits: NotifyLimits | None = None,
        clock: Callable[[], datetime] = utc_now,
        mail: bool = True,
    ) -> None:
        self.store = store
        # Whether a mail server is set (``smtp_url``): without one nothing is offered or taken.
        self.mail = mail
        self.reads = reads
        self.tokens = tokens
        self.box = box
        self.links = NotifyLinks(signer, confirm_days)
        self.languages = tuple(languages)
        self.limits = limits or NotifyLimits()
        self.clock = clock
        self._client_key = signer.key("notify-client-address")

    # -- asking -------------------------------------------------------------------------------
    def wish(
        self,
        site: Site,
        choice: NotifyChoice,
        email: str | None,
        *,
        cadence: Cadence = Cadence.IMMEDIATE,
        language: str = "en",
        author: Author | None = None,
        client_ip: str | None = None,
    ) -> Wish | None:
        """The checked wish (None for "nothing"), or ``InvalidInput`` naming the e-mail field
        (``Conflict`` without a mail server)."""
        if choice is NotifyChoice.NONE:
            return None
        if not self.mail:
            raise notifications_off("notify")
        if not email or not email.strip():
            raise InvalidInput(
                N_("Give your e-mail address to be notified."),
                field="email",
                code="notify-needs-email",
            )
        address = check_address(email)
        return Wish(
            site_id=site.id,
            site_slug=site.slug,
            address=address,
            email_hash=self.tokens.email_hash(address),
            target=Target.REPLIES if choice is NotifyChoice.REPLIES else Target.THREAD,
            cadence=cadence,
            language=language if language in self.languages else self.languages[0],
            reader_key=author.reader_key if author else None,
            client_key=address_hash(self._client_key, client_ip),
        )

    def _limit_keys(self, wish: Wish) -> list[tuple[str, int, int]]:
        lim, site = self.limits, wish.site_id
        keys = [(f"notify:e:{site}:{wish.email_hash[:40]}", lim.per_address, lim.window)]
        if wish.reader_key:
            keys.append((f"notify:r:{site}:{wish.reader_key}", lim.per_reader, lim.window))
        if wish.client_key:
            keys.append((f"notify:a:{site}:{wish.client_key}", lim.per_client, lim.window))
        return keys

    def _count(self, tx: WriteTransaction, wish: Wish, now: datetime) -> None:
        keys = self._limit_keys(wish)
        found = tx.count_hits([(k, w) for k, _, w in keys], now)
        if any(n > limit for (_, limit, _), n in zip(keys, found, strict=True)):
            window = self.limits.window
            raise TooManyRequests(
                N_("Too many subscription requests. Wait a minute, then try again."),
                code="notify-rate-limited",
                retry_after=max(1, window - int(now.timestamp()) % window),
            )

    def record(
        self,
        tx: WriteTransaction,
        wish: Wish,
        thread: Thread,
        comment: Comment | None,
        now: datetime,
        *,
        counted: bool = False,
    ) -> Subscription:
        """Write ``wish`` in the caller's transaction: the subscriber (sealed address), the
        subscription, and, for an address not yet confirmed, the day's confirmation job."""
        if not counted:
            self._count(tx, wish, now)
        if wish.target is Target.REPLIES and comment is None:
            raise ValueError("a subscription to replies needs its comment")
        subscriber, nonce = tx.add_subscriber(
            wish.site_id,
            f"e:{wish.email_hash}",
            email_hash=wish.email_hash,
            account_id=None,
            sealed_address=self.box.seal(wish.address, wish.site_id),
            language=wish.language,
            confirm_nonce=secrets.token_hex(8),
            now=now,
        )
        subscription = tx.subscribe(
            subscriber,
            wish.target,
            thread.id,
            comment.id if wish.target is Target.REPLIES and comment else None,
            wish.cadence,
            wish.language,
            now,
        )
        if not subscriber.confirmed and nonce is not None:
            # One mail per address, site and day, and per link: the link changes only when the
            # address's owner stops everything (with the manage link), so a reader who left and
            # comes back the same day gets a mail whose link works.
            day = now.strftime("%Y-%m-%d")
            tx.enqueue(
                NewJob(
                    CONFIRM_JOB,
                    {"site": wish.site_id, "slug": wish.site_slug, "subscriber": subscriber.id},
                    f"{CONFIRM_JOB}:{wish.site_id}:{wish.email_hash[:40]}:{day}:{nonce}",
                ),
                now,
            )
        return subscription

    def follow(self, site: Site, request: FollowRequest) -> Subscription:
        """Follow a thread without commenting. The answer never says whether the address was
        confirmed already (no one learns another's subscriptions from it)."""
        if not self.mail:
            raise notifications_off()
        external_id = rules.check_external_id(request.thread_external_id)
        cadence = parse_cadence(request.cadence)
        wish = self.wish(
            site,
            NotifyChoice.THREAD,
            request.email,
            cadence=cadence,
            language=request.language,
            author=request.author,
            client_ip=request.client_ip,
        )
        assert wish is not None
        now = self.clock()
        # Counted on its own, so a refused request still counts and leaves nothing else.
        with self.store.write() as tx:
            self._count(tx, wish, now)
        with self.store.write() as tx:
            thread = tx.get_or_create_thread(site.id, external_id, "", "", now, False)
            if thread is None:
                raise NotFound(N_("This thread does not exist."), code="thread-not-found")
            if thread.closed:
                raise Forbidden(N_("This thread is closed for comments."), code="thread-closed")
            return self.record(tx, wish, thread, None, now, counted=True)

    def job_site(self, site_id: object, slug: object) -> Site | None:
        """The site a job's payload names (by id and slug: a site renamed since is gone)."""
        if not isinstance(site_id, int) or not isinstance(slug, str):
            return None
        site = self.store.get_site(slug)
        return site if site is not None and site.id == site_id else None

    # -- confirming ----------------------------------------------------------------------------
    def check_confirm(self, site: Site, token: str) -> ConfirmLink:
        """The link, if it can still confirm (the page with the button asks this first)."""
        link = self.links.check_confirm(token, site.id, self.clock())
        if self.reads.confirm_nonce(link.subscriber_id) != link.nonce:
            raise _used()
        return link

    def confirm(self, site: Site, token: str) -> int:
        """Confirm the address the link names; how many subscriptions that confirmed."""
        now = self.clock()
        link = self.links.check_confirm(token, site.id, now)
        with self.store.write() as tx:
            done = tx.confirm_subscriber(link.subscriber_id, link.nonce, now)
        if done is None:
            raise _used()
        return done

    def confirmation(self, site: Site, subscriber_id: int) -> Confirmation | None:
        """What the confirmation job mails, or None when there is nothing to confirm (the
        address was confirmed meanwhile, or left)."""
        now = self.clock()
        subscriber = self.reads.subscriber(subscriber_id)
        nonce = self.reads.confirm_nonce(subscriber_id)
        if subscriber is None or subscriber.site_id != site.id or subscriber.confirmed:
            return None
        if nonce is None or subscriber.sealed_address is None:
            return None
        return Confirmation(
            address=self.box.open(subscriber.sealed_address, site.id),
            language=subscriber.language,
            site=site,
            confirm_token=self.links.confirm(site.id, subscriber.id, nonce, now),
            manage_token=self.links.manage(site.id, subscriber.id),
            key=f"{CONFIRM_JOB}:{site.id}:{subscriber.id}:{nonce}",
        )

    # -- leaving -------------------------------------------------------------------------------
    def leaving(self, site: Site, token: str) -> tuple[Subscriber, SubscriptionView | None]:
        """What a leaving link would stop (for the page with the button)."""
        subscriber_id, subscription_id = self.links.check_unsubscribe(token, site.id)
        subscriber = self._subscriber(site, subscriber_id)
        if subscription_id is None:
            return subscriber, None
        views = [
            v
            for v in self.reads.live_subscriptions(subscriber.id)
            if v.subscription.id == subscription_id
        ]
        return subscriber, views[0] if views else None

    def unsubscribe(self, site: Site, token: str) -> int:
        """End what the link names (one subscription, or all of the address's); idempotent:
        how many were live."""
        subscriber_id, subscription_id = self.links.check_unsubscribe(token, site.id)
        subscriber = self._subscriber(site, subscriber_id)
        now = self.clock()
        with self.store.write() as tx:
            if subscription_id is None:
                return tx.end_all(subscriber.id, now)
            return 1 if tx.end_subscription(subscriber.id, subscription_id, now) else 0

    def manage(self, site: Site, token: str) -> Manage:
        subscriber = self._subscriber(site, self.links.check_manage(token, site.id))
        return Manage(subscriber, self.reads.live_subscriptions(subscriber.id), token)

    def stop(self, site: Site, token: str, subscription_id: int | None) -> int:
        """From the manage page: one subscription of that address, or (None) all of them."""
        subscriber = self._subscriber(site, self.links.check_manage(token, site.id))
        now = self.clock()
        with self.store.write() as tx:
            if subscription_id is None:
                return tx.end_all(subscriber.id, now)
            return 1 if tx.end_subscription(subscriber.id, subscription_id, now) else 0

    def unsubscribe_token(self, site: Site, subscription: Subscription) -> str:
        return self.links.unsubscribe(site.id, subscription)

    def _subscriber(self, site: Site, subscriber_id: int) -> Subscriber:
        subscriber = self.reads.subscriber(subscriber_id)
        if subscriber is None or subscriber.site_id != site.id:
            # A signed id that names no one: the subscriber's site was deleted with it.
            raise NotFound(N_("These notifications no longer exist."), code="subscriber-not-found")
        return subscriber
