"""Signed webhooks, the services: endpoints an admin manages, events enqueued with their cause.

``enqueue_event`` is the hook posting, the desk and reports call inside the event's own write
transaction: one ``webhook.deliver`` job per enabled endpoint of the site that wants the event,
keyed by (event id, endpoint), so the job commits with the comment, the decision or the report,
or not at all. A job's payload holds the event's id, type, time and the comment's public id and
status then; the comment's text and author name are read when it is delivered
(rostra.webhooks.delivery), so a comment deleted meanwhile is not sent out.

:class:`Webhooks` is what the desk's admin page and ``rostra webhook`` use: add (URL checked,
and its addresses checked against :func:`public_addresses` unless the server or the site allows
private ones: the setting ``webhook_allow_private_addresses`` of either), list,
edit (URL and events), enable or disable, rotate the secret, remove, send a test event and read
the delivery log. Each change names its :class:`~rostra.domain.webhooks.Actor`, and the store
writes its audit entry in the change's transaction.

When delivery disables an endpoint after ``webhook_disable_after`` failures in a row, the store
enqueues in that transaction one ``webhook.disabled`` job (:func:`notice_job`) per admin with an
alert address; rostra.webhooks.notice sends the mail.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

from rostra.domain.clock import utc_now
from rostra.domain.errors import N_, Conflict, InvalidInput, NotFound
from rostra.domain.models import Comment, Site
from rostra.domain.webhooks import (
    MAX_ENDPOINTS_PER_SITE,
    Actor,
    Delivery,
    Endpoint,
    WebhookEvent,
    check_events,
    check_url,
    new_secret,
)
from rostra.services.ports import NewJob, WriteTransaction

DELIVER_JOB = "webhook.deliver"
NOTICE_JOB = "webhook.disabled"

Resolver = Callable[[str, int], list[str]]


class RefusedAddress(InvalidInput):
    """The URL's host is (or resolves to) an address Rostra does not call (SSRF)."""

    code = "refused-address"


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system's resolver, TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def public_addresses(
    url: str, *, allow_private: bool, resolve: Resolver = system_resolver
) -> list[str]:
    """The addresses to connect to for ``url``: all it resolves to, each refused unless public
    (not private, loopback, link-local, multicast or reserved) or ``allow_private``. Delivery
    connects to one of these, not to the name again, so DNS cannot change between the check and
    the connection."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            found = resolve(host, port)
        except (OSError, UnicodeError):
            found = []
    if not found:
        raise RefusedAddress(
            N_("The URL's host name does not resolve."), field="url", code="unresolvable"
        )
    if not allow_private and not all(_is_public(a) for a in found):
        raise RefusedAddress(
            N_(
                "The URL points to a private, loopback or reserved address; this server does "
                "not call those."
            ),
            field="url",
        )
    return found


@dataclass(frozen=True, slots=True)
class NoticeRecipient:
    """An admin to tell that an endpoint was disabled: their language and sealed address (the
    moderator alerts' address, rostra.services.desk_alerts)."""

    account_id: int
    language: str | None
    sealed_address: str


def notice_job(endpoint_id: int, site_id: int, account_id: int, disabled_at: datetime) -> NewJob:
    """The mail telling one admin the endpoint was disabled; keyed by the disabling's time, so
    a job retried sends one mail, and the same endpoint disabled again later sends a new one."""
    stamp = disabled_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return NewJob(
        kind=NOTICE_JOB,
        payload={"endpoint": endpoint_id, "site_id": site_id, "account": account_id},
        idempotency_key=f"{NOTICE_JOB}:{endpoint_id}:{account_id}:{stamp}",
    )


class WebhookStore(Protocol):
    """What the webhooks need from storage (rostra.storage.webhooks.SqlWebhookStore). Every
    change writes its audit entry, naming ``actor``, in its own transaction."""

    def add_endpoint(
        self,
        site_id: int,
        url: str,
        events: Sequence[WebhookEvent],
        secret: str,
        now: datetime,
        actor: Actor,
    ) -> Endpoint: ...

    def endpoints(self, site_id: int) -> list[Endpoint]: ...

    def endpoint(self, endpoint_id: int) -> Endpoint | None: ...

    def update_endpoint(
        self,
        endpoint_id: int,
        url: str,
        events: Sequence[WebhookEvent],
        now: datetime,
        actor: Actor,
    ) -> bool:
        """Change the URL and events (audited only when something changed)."""
        ...

    def rotate_secret(self, endpoint_id: int, secret: str, now: datetime, actor: Actor) -> bool: ...

    def set_enabled(self, endpoint_id: int, enabled: bool, now: datetime, actor: Actor) -> bool:
        """Enabling also resets the failures in a row and the reason Rostra disabled it."""
        ...

    def remove_endpoint(self, endpoint_id: int, now: datetime, actor: Actor) -> bool: ...

    def notice_recipient(self, account_id: int) -> NoticeRecipient | None:
        """The admin as they are now: None once no admin, disabled or without an address."""
        ...

    def deliveries(self, site_id: int, limit: int) -> list[Delivery]: ...

    def record_delivery(
        self,
        endpoint_id: int,
        event_id: str,
        event: str,
        attempt: int,
        now: datetime,
        status: int | None,
        outcome: str,
        *,
        ok: bool,
        disable_after: int,
    ) -> Endpoint | None:
        """Log the attempt and count it: a success resets the failures, a failure adds one
        and disables the endpoint at ``disable_after`` (its reason: ``outcome``, the last error;
        with the automated audit entry and the admins' :func:`notice_job` in the same
        transaction). Returns the endpoint as it now is."""
        ...

    def enqueue(self, job: NewJob, now: datetime) -> bool:
        """``job`` in a transaction of its own (a test event has no other cause)."""
        ...


def deliver_job(
    site: Site,
    endpoint_id: int,
    event: WebhookEvent,
    event_id: str,
    now: datetime,
    data: dict[str, object],
) -> NewJob:
    return NewJob(
        kind=DELIVER_JOB,
        payload={
            "endpoint": endpoint_id,
            "site": site.slug,
            "site_id": site.id,
            "event": event.value,
            "event_id": event_id,
            "created_at": now.isoformat(),
            "data": data,
        },
        idempotency_key=f"webhook:{event_id}:{endpoint_id}",
    )


def enqueue_event(
    tx: WriteTransaction,
    site: Site,
    event: WebhookEvent,
    comment: Comment,
    now: datetime,
    **extra: str,
) -> int:
    """One delivery job per endpoint of ``site`` that wants ``event``, in ``tx``; how many.

    ``extra`` adds short fixed fields (a decision's from and to status, a report's reason)."""
    endpoint_ids = tx.webhook_endpoints_for(site.id, event.value)
    if not endpoint_ids:
        return 0
    event_id = new_event_id()
    data: dict[str, object] = {
        "comment": comment.public_id,
        "thread_id": comment.thread_id,
        "status": comment.status.value,
        **extra,
    }
    for endpoint_id in endpoint_ids:
        tx.enqueue(deliver_job(site, endpoint_id, event, event_id, now, data), now)
    return len(endpoint_ids)


class Webhooks:
    """Managing a site's endpoints (the desk's admins, ``rostra webhook``)."""

    def __init__(
        self,
        store: WebhookStore,
        *,
        allow_private: bool = False,
        resolve: Resolver = system_resolver,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.allow_private = allow_private
        self.resolve = resolve
        self.clock = clock

    def _check(
        self, site: Site, url: str, events: Sequence[str]
    ) -> tuple[str, tuple[WebhookEvent, ...]]:
        checked = check_url(url)
        wanted = check_events(tuple(events))
        allow = self.allow_private or site.settings.webhook_allow_private_addresses
        public_addresses(checked, allow_private=allow, resolve=self.resolve)
        return checked, wanted

    def add(self, site: Site, url: str, events: Sequence[str], actor: Actor) -> Endpoint:
        """A new endpoint, enabled, with a fresh secret (the caller shows it once)."""
        checked, wanted = self._check(site, url, events)
        if len(self.store.endpoints(site.id)) >= MAX_ENDPOINTS_PER_SITE:
            raise Conflict(
                N_("A site has at most %(max)d webhook endpoints."),
                code="too-many-endpoints",
                max=MAX_ENDPOINTS_PER_SITE,
            )
        return self.store.add_endpoint(site.id, checked, wanted, new_secret(), self.clock(), actor)

    def endpoints(self, site: Site) -> list[Endpoint]:
        return self.store.endpoints(site.id)

    def get(self, site: Site, endpoint_id: int) -> Endpoint:
        found = self.store.endpoint(endpoint_id)
        if found is None or found.site_id != site.id:
            raise NotFound(N_("This webhook endpoint does not exist."), code="endpoint-not-found")
        return found

    def edit(
        self, site: Site, endpoint_id: int, url: str, events: Sequence[str], actor: Actor
    ) -> Endpoint:
        """A new URL and events, checked as when adding; the secret and state stay."""
        endpoint = self.get(site, endpoint_id)
        checked, wanted = self._check(site, url, events)
        self.store.update_endpoint(endpoint.id, checked, wanted, self.clock(), actor)
        return self.get(site, endpoint_id)

    def rotate_secret(self, site: Site, endpoint_id: int, actor: Actor) -> Endpoint:
        """A fresh secret (the caller shows it once); the old one stops signing at once."""
        endpoint = self.get(site, endpoint_id)
        self.store.rotate_secret(endpoint.id, new_secret(), self.clock(), actor)
        return self.get(site, endpoint_id)

    def set_enabled(self, site: Site, endpoint_id: int, enabled: bool, actor: Actor) -> Endpoint:
        """Enabling resets the failures in a row (and Rostra's reason for disabling it)."""
        self.store.set_enabled(self.get(site, endpoint_id).id, enabled, self.clock(), actor)
        return self.get(site, endpoint_id)

    def remove(self, site: Site, endpoint_id: int, actor: Actor) -> None:
        self.store.remove_endpoint(self.get(site, endpoint_id).id, self.clock(), actor)

    def send_test(self, site: Site, endpoint_id: int) -> str:
        """Queue a ``webhook.test`` event to one endpoint; its event id."""
        endpoint = self.get(site, endpoint_id)
        now = self.clock()
        event_id = new_event_id()
        job = deliver_job(site, endpoint.id, WebhookEvent.TEST, event_id, now, {"test": True})
        self.store.enqueue(job, now)
        return event_id

    def deliveries(self, site: Site, limit: int = 50) -> list[Delivery]:
        return self.store.deliveries(site.id, limit)
