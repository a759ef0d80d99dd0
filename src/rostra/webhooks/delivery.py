"""Delivering one webhook event to one endpoint: the ``webhook.deliver`` job's handler.

The handler POSTs ``{"id", "type", "created_at", "site", "data"}`` as JSON with the headers
``Rostra-Webhook-Id`` (the event's id, the same on every retry: receivers drop repeats by it),
``Rostra-Webhook-Timestamp`` (Unix seconds of this attempt) and ``Rostra-Webhook-Signature:
v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`` under the endpoint's secret.

The comment's text, author name and thread are read now, not when the event happened: a comment
deleted meanwhile goes out without them. No reader's e-mail, address or token ever goes out.

Every attempt is checked against SSRF again (rostra.services.webhooks.public_addresses: DNS may
have changed since the endpoint was registered) and the connection goes to the address that was
checked, never to the name again. One deadline covers connecting, sending and reading (a
watchdog shuts the socket at the deadline, so an answer dripped byte by byte ends too); redirects
are not followed (a 3xx is a failure); an answer over ``webhook_max_response_bytes`` is cut and
counted a failure. A 2xx is done; anything else is logged, counted against the endpoint and
raised so the job queue retries it with its backoff and jitter. At ``webhook_disable_after``
failures in a row the endpoint is disabled (the last error kept as its reason), its site's
admins see why on the desk and those with an alert address get a mail (rostra.webhooks.notice).
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from rostra.config import Settings
from rostra.domain.clock import utc_now
from rostra.domain.models import Comment, Site, Thread
from rostra.domain.webhooks import Endpoint, WebhookEvent, sign
from rostra.jobs.queue import Job
from rostra.jobs.registry import GiveUp, JobFailed
from rostra.services.webhooks import (
    DELIVER_JOB,
    RefusedAddress,
    Resolver,
    WebhookStore,
    public_addresses,
    system_resolver,
)

_LOG = logging.getLogger("rostra.webhooks")
ID_HEADER = "Rostra-Webhook-Id"
TIMESTAMP_HEADER = "Rostra-Webhook-Timestamp"
SIGNATURE_HEADER = "Rostra-Webhook-Signature"
USER_AGENT = "Rostra-Webhooks/1"


class Comments(Protocol):
    """The reads a delivery makes (rostra.services.ports.ReadStore)."""

    def get_comment(self, site_id: int, public_id: str) -> Comment | None: ...

    def get_thread_by_id(self, thread_id: int) -> Thread | None: ...

    def get_site(self, slug: str) -> Site | None: ...


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    timeout_seconds: float = 5.0
    max_response_bytes: int = 65_536
    disable_after: int = 10
    allow_private: bool = False

    @classmethod
    def of(cls, settings: Settings) -> DeliverySettings:
        return cls(
            timeout_seconds=float(settings.webhook_timeout_seconds),
            max_response_bytes=settings.webhook_max_response_bytes,
            disable_after=settings.webhook_disable_after,
            allow_private=settings.webhook_allow_private_addresses,
        )


class DeliveryFailed(JobFailed):
    """The receiver did not take the event; ``reason`` is short and fixed."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


def event_body(payload: Mapping[str, Any], comments: Comments) -> bytes:
    """The JSON document sent for the job's ``payload`` (the same on every retry, unless the
    comment changed meanwhile)."""
    data: dict[str, Any] = dict(payload.get("data") or {})
    public_id = data.pop("comment", None)
    thread_id = data.pop("thread_id", None)
    if isinstance(public_id, str):
        comment_data: dict[str, Any] = {"id": public_id, "status": data.pop("status", None)}
        comment = comments.get_comment(int(payload["site_id"]), public_id)
        if comment is not None and not comment.is_deleted:
            comment_data |= {
                "author_name": comment.author_name,
                "body": comment.body,
                "created_at": comment.created_at.isoformat(),
            }
        else:
            comment_data["deleted"] = True
        data["comment"] = comment_data
        thread = comments.get_thread_by_id(int(thread_id)) if isinstance(thread_id, int) else None
        if thread is not None:
            data["thread"] = {"id": thread.external_id, "url": thread.url, "title": thread.title}
    document = {
        "id": payload["event_id"],
        "type": payload["event"],
        "created_at": payload["created_at"],
        "site": payload["site"],
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def signed_headers(endpoint: Endpoint, event_id: str, body: bytes, stamp: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(endpoint.secret, stamp, body),
    }


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, while ``Host`` names the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked for the URL's host name (SNI too)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    settings: DeliverySettings,
    resolve: Resolver = system_resolver,
) -> int:
    """POST ``body`` to ``url``; the 2xx status, or :class:`DeliveryFailed`."""
    try:
        addresses = public_addresses(url, allow_private=settings.allow_private, resolve=resolve)
    except RefusedAddress as exc:
        raise DeliveryFailed(
            "host does not resolve" if exc.code == "unresolvable" else "refused address"
        ) from None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + settings.timeout_seconds
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = kind(host, port, addresses[0], settings.timeout_seconds)
    # A socket timeout counts each read on its own: an answer dripped a byte at a time, each
    # inside it, would never end. At the deadline the watchdog shuts the socket, whatever
    # http.client is reading then (the status line, a header, the body).
    watchdog = _Watchdog(conn, settings.timeout_seconds)
    try:
        conn.request("POST", target, body=body, headers=dict(headers))
        _left(conn, deadline)
        response = conn.getresponse()
        status = response.status
        _drain(conn, response, deadline, settings.max_response_bytes, status)
    except TimeoutError:
        raise DeliveryFailed("timed out") from None
    except (OSError, http.client.HTTPException) as exc:
        if watchdog.fired.is_set():
            raise DeliveryFailed("timed out") from None
        raise DeliveryFailed(f"unreachable ({type(exc).__name__})") from None
    finally:
        watchdog.cancel()
        conn.close()
    if watchdog.fired.is_set():
        raise DeliveryFailed("timed out")
    if 300 <= status < 400:
        raise DeliveryFailed("redirect not followed", status)
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}", status)
    return status


class _Watchdog:
    """Shuts ``conn``'s socket ``seconds`` from now unless cancelled first."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self.conn = conn
        self.fired = threading.Event()
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True
        self.timer.start()

    def _fire(self) -> None:
        self.fired.set()
        sock = self.conn.sock
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self.timer.cancel()


def _left(conn: http.client.HTTPConnection, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    if conn.sock is not None:
        conn.sock.settimeout(left)


def _drain(
    conn: http.client.HTTPConnection,
    response: http.client.HTTPResponse,
    deadline: float,
    cap: int,
    status: int,
) -> None:
    """Read the answer within the deadline and the cap (a slow drip is late, a flood cut)."""
    size = 0
    while True:
        _left(conn, deadline)
        chunk = response.read1(8192)
        if not chunk:
            return
        size += len(chunk)
        if size > cap:
            raise DeliveryFailed("answer too large", status)


class Deliverer:
    """The ``webhook.deliver`` handler over a store, the comments it reads and the settings."""

    def __init__(
        self,
        store: WebhookStore,
        comments: Comments,
        settings: DeliverySettings,
        *,
        resolve: Resolver = system_resolver,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.comments = comments
        self.settings = settings
        self.resolve = resolve
        self.clock = clock

    def __call__(self, job: Job) -> None:
        payload = job.payload
        try:
            endpoint_id = int(str(payload["endpoint"]))
            event_id = str(payload["event_id"])
            event = WebhookEvent(str(payload["event"]))
        except (KeyError, ValueError):
            raise GiveUp("malformed webhook job") from None
        endpoint = self.store.endpoint(endpoint_id)
        if endpoint is None:
            raise GiveUp("endpoint removed")
        if not endpoint.enabled and event is not WebhookEvent.TEST:
            raise GiveUp("endpoint disabled")
        body = event_body(payload, self.comments)
        stamp = str(int(self.clock().timestamp()))
        headers = signed_headers(endpoint, event_id, body, stamp)
        # The server's setting, or the site's own (read now: an operator may have changed it).
        site = self.comments.get_site(str(payload.get("site", "")))
        allowed = site is not None and site.settings.webhook_allow_private_addresses
        settings = replace(self.settings, allow_private=self.settings.allow_private or allowed)
        try:
            status = post(endpoint.url, body, headers, settings, self.resolve)
        except DeliveryFailed as exc:
            self._record(endpoint, event_id, event, job.attempt, exc.status, exc.reason, ok=False)
            raise
        self._record(endpoint, event_id, event, job.attempt, status, "delivered", ok=True)

    def _record(
        self,
        endpoint: Endpoint,
        event_id: str,
        event: WebhookEvent,
        attempt: int,
        status: int | None,
        outcome: str,
        *,
        ok: bool,
    ) -> None:
        after = self.store.record_delivery(
            endpoint.id,
            event_id,
            event.value,
            attempt,
            self.clock(),
            status,
            outcome,
            ok=ok,
            disable_after=self.settings.disable_after,
        )
        if endpoint.enabled and after is not None and not after.enabled:
            # The site's admins see it on the desk's webhooks page, and those with an alert
            # address get the webhook.disabled mail enqueued with the disabling.
            _LOG.warning(
                "webhook endpoint %s of site %s disabled after %s failed deliveries in a row",
                endpoint.id,
                endpoint.site_id,
                after.consecutive_failures,
            )


class Registry(Protocol):
    def register(self, kind: str, handler: Callable[[Job], None]) -> None: ...


def register(
    handlers: Registry,
    store: WebhookStore,
    comments: Comments,
    settings: Settings,
    *,
    resolve: Resolver = system_resolver,
    clock: Callable[[], datetime] = utc_now,
) -> None:
    """Register ``webhook.deliver`` (``rostra serve``'s runner and ``rostra worker``)."""
    handlers.register(
        DELIVER_JOB,
        Deliverer(store, comments, DeliverySettings.of(settings), resolve=resolve, clock=clock),
    )
