""" "Notify me of": what a subscription is, and the rules for the address it goes to.

A *subscriber* is one address (a guest) or one account (a signed-in reader or staff member,
later) on one site; it holds the address sealed (rostra.services.subscriptions), never in clear,
and whether that address was confirmed (double opt-in). A *subscription* is one subscriber
following one target: the replies to one comment, or every new comment of one thread, with a
cadence (at once, hourly or daily digest) and a language. There is one row per (site,
subscriber, target); subscribing again changes that row.

A subscription is ``pending`` until its subscriber confirms the address, ``confirmed`` after,
and ``ended`` once the reader stops it. Nothing but the confirmation mail is ever sent to a
subscriber whose address is not confirmed.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from rostra.domain.errors import N_, InvalidInput

#: RFC 5321's limits: 64 characters before the "@", 254 in all.
MAX_ADDRESS = 254
MAX_LOCAL_PART = 64
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A domain of two labels or more: "localhost" is no address a reader gives.
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class NotifyChoice(enum.StrEnum):
    """What a reader asks for with a comment: nothing, the replies to it, the whole thread."""

    NONE = "none"
    REPLIES = "replies"
    THREAD = "thread"


class Target(enum.StrEnum):
    REPLIES = "replies"  # replies to one comment
    THREAD = "thread"  # every new comment in one thread


class Cadence(enum.StrEnum):
    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"


class SubscriptionState(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    ENDED = "ended"


def invalid_email() -> InvalidInput:
    return InvalidInput(
        N_("This is not an e-mail address we can write to (name@example.com)."),
        field="email",
        code="invalid-email",
    )


def check_address(value: str | None) -> str:
    """The address as Rostra keeps it (trimmed, its domain in lower case), or ``invalid-email``.

    Refused rather than cleaned: a line break (it could add mail headers), any control
    character, non-ASCII text, more than RFC 5321 allows, or anything but ``local@domain`` with
    a dot-atom local part. ``%`` and ``_`` are valid in a local part and stay literal: addresses
    are looked up by their keyed hash, never with ``LIKE``.
    """
    if value is None:
        raise invalid_email()
    text = value.strip(" ")
    if (
        not text
        or len(text) > MAX_ADDRESS
        or _CONTROL.search(text)
        or not text.isascii()
        or text.count("@") != 1
    ):
        raise invalid_email()
    local, _, domain = text.partition("@")
    if len(local) > MAX_LOCAL_PART or not _LOCAL_PART.fullmatch(local):
        raise invalid_email()
    if not _DOMAIN.fullmatch(domain):
        raise invalid_email()
    return f"{local}@{domain.lower()}"


def target_key(target: Target, thread_id: int, comment_id: int | None) -> str:
    """What makes a subscription one of a kind for its subscriber (the unique column)."""
    if target is Target.REPLIES:
        if comment_id is None:
            raise ValueError("a subscription to replies names its comment")
        return f"c:{comment_id}"
    return f"t:{thread_id}"


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One address (or, later, one account) on one site."""

    id: int
    site_id: int
    # "e:<keyed hash of the address>" or "a:<account id>": unique per site.
    key: str
    email_hash: str | None
    account_id: int | None
    # The address, sealed (AES-GCM); None for an account, whose address the account holds.
    sealed_address: str | None
    language: str
    confirmed_at: datetime | None
    created_at: datetime

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    site_id: int
    subscriber_id: int
    target: Target
    thread_id: int
    comment_id: int | None
    cadence: Cadence
    language: str
    state: SubscriptionState
    created_at: datetime
    confirmed_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """A subscription as the "manage my notifications" page lists it."""

    subscription: Subscription
    thread_title: str
    thread_url: str
    # For replies: the comment's author, so a reader tells two of their comments apart.
    comment_author: str | None = None
