"""Signed webhooks, the model: the events, an endpoint, a delivery, and the checks on a URL.

A site's admins register endpoints (a URL, the events it wants, a secret Rostra makes and shows
once). Every event enqueues one ``webhook.deliver`` job per endpoint that wants it, in the
event's own transaction (rostra.services.webhooks); rostra.webhooks.delivery POSTs it, signed
with :func:`sign`. docs/webhooks.md is the receiver's side of all this.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from rostra.domain.errors import N_, InvalidInput

MAX_URL = 2000
MAX_ENDPOINTS_PER_SITE = 20
SIGNATURE_VERSION = "v1"


class WebhookEvent(enum.StrEnum):
    PUBLISHED = "comment.published"
    HELD = "comment.held"
    REPORTED = "comment.reported"
    DECIDED = "comment.decided"
    # Sent only by "send a test event"; an endpoint never subscribes to it.
    TEST = "webhook.test"


EVENTS: tuple[WebhookEvent, ...] = (
    WebhookEvent.PUBLISHED,
    WebhookEvent.HELD,
    WebhookEvent.REPORTED,
    WebhookEvent.DECIDED,
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: int
    site_id: int
    url: str
    events: tuple[WebhookEvent, ...]
    secret: str
    enabled: bool
    consecutive_failures: int
    created_at: datetime
    # Set when Rostra turned it off after repeated failures (the desk says so).
    disabled_at: datetime | None = None
    disabled_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changed an endpoint, for the audit log: a staff account in the desk (``id`` set), or
    an operator at the command line (``id`` None, ``name`` says so). Rostra's own disabling is
    written as the automated actor (rostra.domain.desk.AUTOMATED_ACTOR)."""

    id: int | None
    name: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver one event to one endpoint, for the desk's delivery log."""

    id: int
    endpoint_id: int
    event_id: str
    event: str
    attempt: int
    at: datetime
    ok: bool
    # The HTTP status, when one came back.
    status: int | None
    # Short and fixed ("timeout", "refused address", "answer too large", ...), never a body.
    outcome: str


def new_secret() -> str:
    """A fresh endpoint secret: 32 random bytes, shown to the admin once."""
    return "whsec_" + secrets.token_hex(32)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``Rostra-Webhook-Signature`` value: ``v1=`` and the hex HMAC-SHA256 of
    ``"<timestamp>.<body>"`` under the endpoint's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def check_url(raw: str) -> str:
    """``raw`` as an endpoint URL: http(s), a host, no credentials, no control characters or
    spaces (CR/LF would let a URL carry headers), at most ``MAX_URL`` characters."""
    url = raw.strip()
    if not url or len(url) > MAX_URL:
        raise InvalidInput(
            N_("The URL must have 1 to %(max)d characters."),
            field="url",
            code="invalid-url",
            max=MAX_URL,
        )
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        raise InvalidInput(
            N_("The URL cannot contain spaces or control characters."),
            field="url",
            code="invalid-url",
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            N_("The URL must start with https:// or http:// and name a host."),
            field="url",
            code="invalid-url",
        )
    if parts.username is not None or parts.password is not None or port == 0:
        raise InvalidInput(
            N_("The URL cannot contain a user name or password."),
            field="url",
            code="invalid-url",
        )
    return url


def check_events(raw: list[str] | tuple[str, ...]) -> tuple[WebhookEvent, ...]:
    """The events asked for, each a known one, at least one, in the documented order."""
    wanted = set()
    for name in raw:
        try:
            event = WebhookEvent(name)
        except ValueError:
            event = None
        if event is None or event not in EVENTS:
            raise InvalidInput(
                N_("Choose events among those offered."), field="events", code="invalid-events"
            )
        wanted.add(event)
    if not wanted:
        raise InvalidInput(N_("Choose at least one event."), field="events", code="no-events")
    return tuple(e for e in EVENTS if e in wanted)
