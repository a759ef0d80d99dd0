"""Moderator alerts, the services: each staff account's alert address and cadence, and the hook
that enqueues an alert with the event that causes it.

A staff account may give an address and pick off (the default), immediately, or an hourly or
daily digest; without a mail server (no ``smtp_url``) only off, so no alert job is written. The
address is checked as readers' addresses are (rostra.domain.subscriptions: a line break, a
control character or an over-long address is refused, never cleaned), sealed with AES-GCM under
the subscribers' key (rostra.services.sealed_addresses.AddressBox; the account, written as a
negative number, is the associated data, so a sealed subscriber address copied here does not
open) and found by its keyed hash. Only its owner sees it in full.

``enqueue_alert`` is the hook posting (a comment held at posting or on edit) and reports (the
report that sends a comment to the reported queue) call inside the event's own write
transaction: one ``desk.alert`` job per entry into a queue, so it commits with the comment or
the report, or not at all; none when no staff account of the site has alerts on. Its handler
(rostra.notify.desk_alerts) finds who wants to know when it runs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from rostra.domain.clock import utc_now
from rostra.domain.desk import StaffAccount
from rostra.domain.errors import N_, InvalidInput
from rostra.domain.models import Comment, Site
from rostra.domain.subscriptions import check_address
from rostra.services.ports import NewJob, WriteTransaction
from rostra.services.sealed_addresses import AddressBox, staff_associated_data
from rostra.services.tokens import ReaderTokens

ALERT_JOB = "desk.alert"


class AlertCadence(enum.StrEnum):
    OFF = "off"
    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"


class AlertQueue(enum.StrEnum):
    """The desk queues an alert is about."""

    PENDING = "pending"
    REPORTED = "reported"


def alert_job(site: Site, comment: Comment, queue: AlertQueue, now: datetime) -> NewJob:
    # Keyed per entry into the queue (the comment, the queue, the moment): a comment held,
    # approved and held again on edit, or reported again after a moderator cleared its reports,
    # alerts again; a retried job adds nothing twice (its items are per comment and queue).
    return NewJob(
        ALERT_JOB,
        {"site": site.id, "comment": comment.id, "queue": queue.value},
        f"{ALERT_JOB}:{comment.id}:{queue.value}:{now.astimezone(UTC).isoformat()}",
    )


def enqueue_alert(
    tx: WriteTransaction, site: Site, comment: Comment, queue: AlertQueue, now: datetime
) -> None:
    """One ``desk.alert`` job for the comment entering ``queue``, in the event's transaction;
    none when nobody of the site has alerts on (asked in the same transaction, so a choice
    another process saved counts at once)."""
    if tx.wants_alerts(site.id):
        tx.enqueue(alert_job(site, comment, queue, now), now)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """One account's alert choice as stored (the address sealed)."""

    account_id: int
    cadence: AlertCadence
    language: str | None
    email_hash: str | None
    sealed_address: str | None


@dataclass(frozen=True, slots=True)
class AlertView:
    """What the account's owner sees of its choice (the address in full: it is theirs)."""

    cadence: AlertCadence
    language: str | None
    address: str | None


class AlertSettingsStore(Protocol):
    def alert_settings(self, account_id: int) -> AlertSettings | None: ...

    def save_alert_settings(self, settings: AlertSettings, now: datetime) -> None: ...


def open_staff_address(box: AddressBox, account_id: int, sealed: str) -> str | None:
    """A staff account's alert address, or None when it was sealed under another secret (as if
    none were given: nothing to show, nothing to send to)."""
    try:
        return box.open(sealed, staff_associated_data(account_id))
    except ValueError:
        return None


def masked(address: str | None) -> str:
    """An address as others may see it: its first character and its domain."""
    if not address:
        return ""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def check_cadence(value: str) -> AlertCadence:
    try:
        return AlertCadence(value)
    except ValueError:
        raise InvalidInput(
            N_("Choose one of the offered alert choices."), field="cadence", code="invalid-cadence"
        ) from None


class StaffAlerts:
    """Reading and changing a staff account's own alert choice."""

    def __init__(
        self,
        store: AlertSettingsStore,
        box: AddressBox,
        tokens: ReaderTokens,
        languages: tuple[str, ...],
        clock: Callable[[], datetime] = utc_now,
        mail: bool = True,
    ) -> None:
        self.store = store
        # Whether a mail server is set (``smtp_url``): without one, alerts cannot be turned on.
        self.mail = mail
        self.box = box
        self.tokens = tokens
        self.languages = languages
        self.clock = clock

    def view(self, account: StaffAccount) -> AlertView:
        found = self.store.alert_settings(account.id)
        if found is None:
            return AlertView(AlertCadence.OFF, None, None)
        return AlertView(found.cadence, found.language, self.address(found))

    def address(self, found: AlertSettings) -> str | None:
        if found.sealed_address is None:
            return None
        return open_staff_address(self.box, found.account_id, found.sealed_address)

    def change(
        self, account: StaffAccount, email: str, cadence: str, language: str = ""
    ) -> AlertView:
        """Check everything, then write once: a refusal writes nothing."""
        chosen = check_cadence(cadence)
        if chosen is not AlertCadence.OFF and not self.mail:
            raise InvalidInput(
                N_(
                    "Alerts need a mail server, and this server has none: an administrator sets "
                    "one with smtp_url."
                ),
                field="cadence",
                code="alerts-need-mail",
            )
        address = check_address(email) if email.strip() else None
        if chosen is not AlertCadence.OFF and address is None:
            raise InvalidInput(
                N_("Alerts need an e-mail address."), field="email", code="alerts-need-email"
            )
        if language and language not in self.languages:
            raise InvalidInput(
                N_("Choose one of the offered languages."),
                field="language",
                code="invalid-language",
            )
        sealed = (
            None if address is None else self.box.seal(address, staff_associated_data(account.id))
        )
        self.store.save_alert_settings(
            AlertSettings(
                account.id,
                chosen,
                language or None,
                None if address is None else self.tokens.email_hash(address),
                sealed,
            ),
            self.clock(),
        )
        return AlertView(chosen, language or None, address)
