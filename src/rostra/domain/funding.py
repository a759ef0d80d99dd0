"""Reader funding, the model: campaigns, the entries of the donations ledger, and the checks on
what an admin or a payment provider hands in.

Money is an integer count of the currency's minor units (cents; yen have none, dinars three),
so nothing is ever rounded: ``parse_amount("895.50", "USD")`` is 89550, ``"895.5"`` in JPY is
refused. A ledger entry carries a *signed* amount: a payment adds, a refund or a lost dispute
takes away. Entries belong to a donation (``payment_ref``: the payment they concern), and a
donation counts towards its campaign while it has been paid and its net is above zero, so the
totals come out the same whatever order the entries arrive in (a refund before its payment
included). rostra.services.funding records entries; rostra.storage.funding keeps the totals.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from babel.numbers import get_currency_precision, list_currencies

from rostra.domain.errors import N_, Conflict, InvalidInput

MAX_TITLE = 200
MAX_DONOR = 200
MAX_NOTE = 500
MAX_EXTERNAL_ID = 255
MAX_TICKS = 12
MAX_PRESETS = 6
#: The most one entry may move, in major units: far above any real donation, far below what a
#: 64-bit total could not hold (a typo of six zeros is refused, not counted).
MAX_AMOUNT_MAJOR = 10_000_000
#: The largest goal, in major units (or donations, or donors).
MAX_GOAL_MAJOR = 10_000_000_000
_AMOUNT = re.compile(r"(\d{1,15})(?:\.(\d{1,6}))?")
_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,255}")
_CURRENCIES = frozenset(list_currencies())


class GoalType(enum.StrEnum):
    """What a campaign counts towards its goal (GiveWP's three kinds)."""

    AMOUNT = "amount"
    DONATIONS = "donations"
    DONORS = "donors"


class EntryKind(enum.StrEnum):
    """What a ledger entry records. A payment adds its amount; the others take theirs away."""

    PAYMENT = "payment"
    REFUND = "refund"
    DISPUTE_LOST = "dispute_lost"


class Source(enum.StrEnum):
    """Where entries come from: ``offline`` (recorded by an admin); item 3 adds ``stripe``."""

    OFFLINE = "offline"
    STRIPE = "stripe"


class OfflineMethod(enum.StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CHEQUE = "cheque"
    CASH = "cash"


OFFLINE_METHOD_LABELS: dict[OfflineMethod, str] = {
    OfflineMethod.BANK_TRANSFER: N_("Bank transfer"),
    OfflineMethod.CHEQUE: N_("Cheque"),
    OfflineMethod.CASH: N_("Cash"),
}


@dataclass(frozen=True, slots=True)
class Totals:
    """A campaign's running totals, kept in its row by every entry's own transaction."""

    raised_minor: int = 0
    donations: int = 0
    donors: int = 0


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    public_id: str
    site_id: int
    title: str
    goal_type: GoalType
    # Minor units for an amount goal; a count of donations or donors otherwise.
    goal: int
    currency: str
    starts_on: date | None
    ends_on: date | None
    # Where the meter marks its scale, in the goal's units; empty: 0, half and the goal.
    ticks: tuple[int, ...]
    open: bool
    created_at: datetime
    totals: Totals = Totals()
    # Bumped by every change to the campaign or its totals: the meter's ETag.
    version: int = 0
    # The reader's gift choices, in minor units; empty and 0: the site's funding settings.
    presets: tuple[int, ...] = ()
    minimum_minor: int = 0

    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)

    def marks(self) -> tuple[int, ...]:
        """The ticks the meter shows."""
        return self.ticks or (0, self.goal // 2, self.goal)

    def progress(self) -> int:
        """Where the campaign stands, in the goal's units."""
        if self.goal_type is GoalType.AMOUNT:
            return max(self.totals.raised_minor, 0)
        if self.goal_type is GoalType.DONATIONS:
            return self.totals.donations
        return self.totals.donors

    def check_accepts(self, kind: EntryKind, currency: str, on: date) -> None:
        """Refuse an entry the campaign cannot take. A closed campaign takes no new payment,
        but still its refunds and disputes: money given back must leave the total."""
        if currency != self.currency:
            raise InvalidInput(
                N_("This campaign raises %(currency)s, not %(given)s."),
                field="currency",
                code="currency-mismatch",
                currency=self.currency,
                given=currency[:8],
            )
        if kind is not EntryKind.PAYMENT:
            return
        if not self.open:
            raise Conflict(
                N_("The campaign %(title)s is closed."), code="campaign-closed", title=self.title
            )
        if (self.starts_on and on < self.starts_on) or (self.ends_on and on > self.ends_on):
            raise InvalidInput(
                N_("The date is outside the campaign's period."),
                field="date",
                code="outside-period",
            )


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """A campaign as an admin describes it, checked by :func:`check_campaign`."""

    title: str
    goal_type: GoalType
    goal: int
    currency: str
    starts_on: date | None = None
    ends_on: date | None = None
    ticks: tuple[int, ...] = ()
    presets: tuple[int, ...] = ()
    minimum_minor: int = 0


@dataclass(frozen=True, slots=True)
class NewEntry:
    """One ledger entry as a source hands it in; ``amount_minor`` is positive, the kind signs it.

    ``(source, external_id)`` is unique per site: the offline form's idempotency key, a payment
    provider's event id. ``payment_ref`` names the payment the entry concerns (the payment's own
    entry names itself)."""

    campaign_public_id: str
    source: Source
    external_id: str
    kind: EntryKind
    amount_minor: int
    currency: str
    payment_ref: str
    on: date
    # Who gave, to count donors: an e-mail's keyed hash, a provider's customer id, a name.
    donor_key: str | None = None
    donor_name: str | None = None
    method: OfflineMethod | None = None
    note: str = ""

    @property
    def signed_minor(self) -> int:
        return self.amount_minor if self.kind is EntryKind.PAYMENT else -self.amount_minor


@dataclass(frozen=True, slots=True)
class Entry:
    """A recorded ledger entry, as the desk lists them."""

    id: int
    campaign_id: int
    source: Source
    external_id: str
    kind: EntryKind
    signed_minor: int
    currency: str
    payment_ref: str
    on: date
    donor_name: str | None
    method: OfflineMethod | None
    note: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording an entry did: ``replayed`` when the same (source, external id) was there
    already (nothing changed); ``entry`` the stored one either way; ``totals`` afterwards."""

    entry: Entry
    replayed: bool
    totals: Totals


def new_public_id() -> str:
    return "cmp_" + secrets.token_hex(8)


def check_currency(raw: str) -> str:
    code = raw.strip().upper()
    if code not in _CURRENCIES:
        raise InvalidInput(
            N_("%(currency)s is not a currency code (ISO 4217, such as USD or EUR)."),
            field="currency",
            code="invalid-currency",
            currency=raw[:8],
        )
    return code


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point: 2 for USD, 0 for JPY, 3 for BHD (Babel's CLDR data)."""
    return int(get_currency_precision(currency))


def parse_amount(raw: str, currency: str, *, limit_major: int = MAX_AMOUNT_MAJOR) -> int:
    """``raw`` (``"895"``, ``"895.50"``) in minor units of ``currency``: above zero, at most
    the currency's digits after the point, at most ``limit_major`` major units."""
    text = raw.strip()
    if _AMOUNT.fullmatch(text.removeprefix("-")) and text.startswith("-"):
        return check_minor(-1, currency)  # a negative amount: "more than zero"
    matched = _AMOUNT.fullmatch(text)
    if matched is None:
        raise InvalidInput(
            N_("Write the amount as digits, with a point before any cents: 25 or 25.50."),
            field="amount",
            code="invalid-amount",
        )
    exponent = currency_exponent(currency)
    whole, fraction = matched.group(1), matched.group(2) or ""
    if len(fraction.rstrip("0")) > exponent:
        raise InvalidInput(
            N_("%(currency)s has %(digits)d digits after the point at most."),
            field="amount",
            code="invalid-amount",
            currency=currency,
            digits=exponent,
        )
    minor = int(whole) * 10**exponent + int((fraction + "0" * exponent)[:exponent] or "0")
    return check_minor(minor, currency, limit_major=limit_major)


def check_minor(minor: int, currency: str, *, limit_major: int = MAX_AMOUNT_MAJOR) -> int:
    """An amount already in minor units (a provider's), checked as :func:`parse_amount` does."""
    if isinstance(minor, bool) or not isinstance(minor, int) or minor <= 0:
        raise InvalidInput(
            N_("The amount must be more than zero."), field="amount", code="invalid-amount"
        )
    if minor > limit_major * 10 ** currency_exponent(currency):
        raise InvalidInput(
            N_("The amount is larger than this server accepts (%(max)s %(currency)s)."),
            field="amount",
            code="amount-too-large",
            max=f"{limit_major:,}",
            currency=currency,
        )
    return minor


def check_key(raw: str, field: str = "key") -> str:
    """An idempotency key or a provider's id: 1 to 255 letters, digits and ``_.:-``."""
    if not _KEY.fullmatch(raw):
        raise InvalidInput(
            N_("The key must have 1 to 255 letters, digits, dots, colons, dashes or underscores."),
            field=field,
            code="invalid-key",
        )
    return raw


def check_text(raw: str | None, field: str, limit: int) -> str:
    """A title, donor name or note: stripped, printable, at most ``limit`` characters (stored as
    typed; every page escapes it on output)."""
    text = (raw or "").strip()
    if len(text) > limit or any(not (c.isprintable() or c == " ") for c in text):
        raise InvalidInput(
            N_("Write at most %(max)d characters, with no line breaks or control characters."),
            field=field,
            code="invalid-text",
            max=limit,
        )
    return text


def parse_goal(raw: str, goal_type: GoalType, currency: str) -> int:
    """The goal in its units: an amount in minor units, or a whole count."""
    if goal_type is GoalType.AMOUNT:
        return parse_amount(raw, currency, limit_major=MAX_GOAL_MAJOR)
    text = raw.strip()
    if not text.isdigit() or not text.isascii() or not 0 < int(text) <= MAX_GOAL_MAJOR:
        raise InvalidInput(
            N_("The goal must be a whole number above zero."), field="goal", code="invalid-goal"
        )
    return int(text)


def parse_ticks(raw: str, goal_type: GoalType, currency: str) -> tuple[int, ...]:
    """``"0,2500,5000"`` as ticks in the goal's units (amounts as the goal is written)."""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_TICKS:
        raise InvalidInput(
            N_("A meter has at most %(max)d ticks."),
            field="ticks",
            code="invalid-ticks",
            max=MAX_TICKS,
        )
    ticks = []
    for part in parts:
        if part == "0":
            ticks.append(0)
        else:
            ticks.append(parse_goal(part, goal_type, currency))
    return tuple(sorted(set(ticks)))


def check_campaign(draft: CampaignDraft) -> CampaignDraft:
    """A draft whose parts were parsed (:func:`parse_goal`, :func:`parse_ticks`), checked whole."""
    title = check_text(draft.title, "title", MAX_TITLE)
    if not title:
        raise InvalidInput(N_("A campaign needs a title."), field="title", code="invalid-text")
    if draft.goal <= 0:
        raise InvalidInput(
            N_("The goal must be a whole number above zero."), field="goal", code="invalid-goal"
        )
    if draft.starts_on and draft.ends_on and draft.ends_on < draft.starts_on:
        raise InvalidInput(
            N_("The campaign cannot end before it starts."), field="ends", code="invalid-period"
        )
    if any(t < 0 or t > draft.goal for t in draft.ticks):
        raise InvalidInput(
            N_("Ticks must lie between zero and the goal."), field="ticks", code="invalid-ticks"
        )
    if len(draft.presets) > MAX_PRESETS or any(
        p <= 0 or p < draft.minimum_minor for p in draft.presets
    ):
        raise InvalidInput(
            N_("Give at most %(max)d presets, each at least the minimum."),
            field="presets",
            code="invalid-presets",
            max=MAX_PRESETS,
        )
    return CampaignDraft(
        title=title,
        goal_type=draft.goal_type,
        goal=draft.goal,
        currency=check_currency(draft.currency),
        starts_on=draft.starts_on,
        ends_on=draft.ends_on,
        ticks=draft.ticks,
        presets=tuple(sorted(set(draft.presets))),
        minimum_minor=draft.minimum_minor,
    )


def parse_date(raw: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            N_("Write the date as YYYY-MM-DD."), field=field, code="invalid-date"
        ) from None


def plain_amount(minor: int, currency: str) -> str:
    """``minor`` as a plain decimal in major units (``"895.50"``; ``"300000"`` for JPY), for the
    command line and the JSON; pages format amounts for the reader's locale instead."""
    exponent = currency_exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole}.{part:0{exponent}d}" if exponent else f"{sign}{whole}"
