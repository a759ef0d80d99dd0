"""Reader funding, the use cases: campaigns an admin manages, and the one call every source of
money records through.

:meth:`Funding.record` is that call. The offline form (the desk, ``rostra donation add``) and,
next, the payment provider's verified webhooks hand it a :class:`~rostra.domain.funding.NewEntry`;
the store writes the entry, its donation's net and the campaign's running totals in one
transaction, under the campaign's row lock, and the database's unique (site, source, external
id) makes a replay count once. The campaign's checks (open, currency, period) run inside that
transaction on the locked row, so a campaign closed meanwhile takes nothing.

A replayed entry is not an error for a provider (its event was delivered twice); for a person
submitting the offline form twice it is: :meth:`Funding.record_offline` answers 409
``already-recorded``, or ``key-reused`` when the key came with another donation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from rostra.domain.clock import utc_now
from rostra.domain.errors import N_, Conflict, InvalidInput, NotFound
from rostra.domain.funding import (
    MAX_DONOR,
    MAX_NOTE,
    Campaign,
    CampaignDraft,
    Entry,
    EntryKind,
    GoalType,
    NewEntry,
    OfflineMethod,
    Recorded,
    Source,
    check_campaign,
    check_currency,
    check_key,
    check_text,
    new_public_id,
    parse_amount,
    parse_date,
    parse_goal,
    parse_ticks,
)
from rostra.domain.models import Site
from rostra.domain.webhooks import Actor

CAMPAIGN_ID = re.compile(r"cmp_[0-9a-f]{16}")


class FundingStore(Protocol):
    """What funding needs from storage (rostra.storage.funding.SqlFundingStore). Every change
    an actor makes writes its audit entry in its own transaction."""

    def add_campaign(
        self, site_id: int, public_id: str, draft: CampaignDraft, now: datetime, actor: Actor
    ) -> Campaign: ...

    def campaigns(self, site_id: int) -> list[Campaign]: ...

    def campaign(self, public_id: str) -> Campaign | None: ...

    def update_campaign(
        self, campaign_id: int, draft: CampaignDraft, now: datetime, actor: Actor
    ) -> None: ...

    def set_open(self, campaign_id: int, is_open: bool, now: datetime, actor: Actor) -> None: ...

    def record(
        self,
        site_id: int,
        entry: NewEntry,
        check: Callable[[Campaign], None],
        now: datetime,
        recorded_by: str,
        actor: Actor | None,
    ) -> Recorded:
        """Write ``entry`` unless its (source, external id) is there (then ``replayed``); call
        ``check`` on the campaign's locked row first; audit under ``actor`` when given."""
        ...

    def entries(self, campaign_id: int, limit: int) -> list[Entry]: ...


@dataclass(frozen=True, slots=True)
class CampaignFields:
    """A campaign as typed at the command line or in the desk; None: keep (when updating)."""

    title: str | None = None
    goal: str | None = None
    currency: str | None = None
    goal_type: str | None = None
    ticks: str | None = None
    # The reader's gift choices: "10,25,50" and "5" in major units; "" back to the site's.
    presets: str | None = None
    minimum: str | None = None
    starts_on: str | None = None
    ends_on: str | None = None


@dataclass(frozen=True, slots=True)
class OfflineDonation:
    """An offline donation as an admin types it (strings, checked by the service)."""

    campaign: str
    amount: str
    currency: str
    method: str
    on: str
    key: str
    donor: str = ""
    note: str = ""


def _goal_type(raw: str) -> GoalType:
    try:
        return GoalType(raw.strip())
    except ValueError:
        raise InvalidInput(
            N_("The goal type is one of amount, donations or donors."),
            field="goal_type",
            code="invalid-goal-type",
        ) from None


def _optional_date(raw: str | None, field: str) -> date | None:
    return parse_date(raw, field) if raw and raw.strip() else None


def _ticks_in_goal_units(raw: str, goal_type: GoalType, currency: str) -> tuple[int, ...]:
    return parse_ticks(raw, goal_type, currency) if raw.strip() else ()


def _gift_amounts(raw: str, field: str, currency: str) -> tuple[int, ...]:
    """``"10,25.50"`` as amounts in minor units (each checked as a donation's amount)."""
    amounts = []
    for part in (p.strip() for p in raw.split(",")):
        if part:
            try:
                amounts.append(parse_amount(part, currency))
            except InvalidInput as exc:
                raise InvalidInput(
                    exc.message_id, field=field, code=exc.code, **exc.params
                ) from None
    return tuple(amounts)


class Funding:
    """Campaigns and the donations ledger (the desk's admins, ``rostra campaign``, the meter)."""

    def __init__(self, store: FundingStore, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock

    # -- campaigns ---------------------------------------------------------------------------

    def _draft(self, fields: CampaignFields, was: Campaign | None = None) -> CampaignDraft:
        goal_type = (
            _goal_type(fields.goal_type)
            if fields.goal_type is not None
            else (was.goal_type if was else GoalType.AMOUNT)
        )
        currency = check_currency(
            fields.currency if fields.currency is not None else (was.currency if was else "")
        )
        if fields.goal is not None:
            goal = parse_goal(fields.goal, goal_type, currency)
        elif was is not None and goal_type is was.goal_type and currency == was.currency:
            goal = was.goal
        else:
            raise InvalidInput(
                N_("Give the goal again when its type or currency changes."),
                field="goal",
                code="invalid-goal",
            )
        if fields.ticks is not None:
            ticks = _ticks_in_goal_units(fields.ticks, goal_type, currency)
        else:
            same_units = was is not None and goal_type is was.goal_type
            ticks = was.ticks if same_units and was is not None else ()
        currency_kept = was is not None and currency == was.currency
        if fields.presets is not None:
            presets = _gift_amounts(fields.presets, "presets", currency)
        else:
            presets = was.presets if currency_kept and was is not None else ()
        if fields.minimum is not None:
            minimum = (_gift_amounts(fields.minimum, "minimum", currency) or (0,))[0]
        else:
            minimum = was.minimum_minor if currency_kept and was is not None else 0
        return check_campaign(
            CampaignDraft(
                title=fields.title if fields.title is not None else (was.title if was else ""),
                goal_type=goal_type,
                goal=goal,
                currency=currency,
                starts_on=_optional_date(fields.starts_on, "starts")
                if fields.starts_on is not None
                else (was.starts_on if was else None),
                ends_on=_optional_date(fields.ends_on, "ends")
                if fields.ends_on is not None
                else (was.ends_on if was else None),
                ticks=ticks,
                presets=presets,
                minimum_minor=minimum,
            )
        )

    def add_campaign(self, site: Site, fields: CampaignFields, actor: Actor) -> Campaign:
        draft = self._draft(fields)
        return self.store.add_campaign(site.id, new_public_id(), draft, self.clock(), actor)

    def campaigns(self, site: Site) -> list[Campaign]:
        return self.store.campaigns(site.id)

    def campaign(self, site: Site, public_id: str) -> Campaign:
        """The site's campaign; NotFound for an unknown id or another site's campaign."""
        found = self.store.campaign(public_id) if CAMPAIGN_ID.fullmatch(public_id) else None
        if found is None or found.site_id != site.id:
            raise NotFound(N_("This campaign does not exist."), code="campaign-not-found")
        return found

    def update_campaign(
        self, site: Site, public_id: str, fields: CampaignFields, actor: Actor
    ) -> Campaign:
        """New title, goal, currency, period or ticks; the totals stay. A campaign that has
        recorded money keeps its currency: its ledger is in that currency."""
        was = self.campaign(site, public_id)
        draft = self._draft(fields, was)
        if draft.currency != was.currency and (was.totals.donations or was.totals.raised_minor):
            raise Conflict(
                N_("A campaign that has received donations keeps its currency."),
                code="currency-locked",
            )
        self.store.update_campaign(was.id, draft, self.clock(), actor)
        return self.campaign(site, public_id)

    def set_open(self, site: Site, public_id: str, is_open: bool, actor: Actor) -> Campaign:
        """Close (no new payments; refunds still count) or reopen a campaign."""
        was = self.campaign(site, public_id)
        if was.open != is_open:
            self.store.set_open(was.id, is_open, self.clock(), actor)
        return self.campaign(site, public_id)

    # -- the ledger ----------------------------------------------------------------------------

    def record(
        self, site: Site, entry: NewEntry, recorded_by: str, actor: Actor | None = None
    ) -> Recorded:
        """Record one ledger entry from any source (the one way money enters Rostra).

        Raises NotFound for another site's or an unknown campaign, InvalidInput for a currency
        that is not the campaign's or a payment outside its period, Conflict for a payment to a
        closed campaign; a replayed (source, external id) changes nothing and says so."""
        campaign = self.campaign(site, entry.campaign_public_id)
        check_key(entry.external_id, "key")
        check_key(entry.payment_ref, "payment")

        def check(locked: Campaign) -> None:
            locked.check_accepts(entry.kind, entry.currency, entry.on)

        check(campaign)  # fails fast, before a transaction; run again on the locked row
        return self.store.record(site.id, entry, check, self.clock(), recorded_by, actor)

    def record_offline(self, site: Site, form: OfflineDonation, actor: Actor) -> Recorded:
        """An admin's bank transfer, cheque or cash donation; a second submit of the same key
        records nothing and is refused (409), so the admin is told it already counted."""
        campaign = self.campaign(site, form.campaign.strip())
        try:
            method = OfflineMethod(form.method.strip())
        except ValueError:
            raise InvalidInput(
                N_("The method is one of bank_transfer, cheque or cash."),
                field="method",
                code="invalid-method",
            ) from None
        currency = form.currency.strip().upper()
        if currency != campaign.currency:
            check_currency(currency)
        campaign.check_accepts(EntryKind.REFUND, currency, date.min)  # the currency alone
        amount = parse_amount(form.amount, campaign.currency)
        key = check_key(form.key.strip())
        donor = check_text(form.donor, "donor", MAX_DONOR)
        entry = NewEntry(
            campaign_public_id=campaign.public_id,
            source=Source.OFFLINE,
            external_id=key,
            kind=EntryKind.PAYMENT,
            amount_minor=amount,
            currency=campaign.currency,
            payment_ref=key,
            on=parse_date(form.on),
            donor_key=("name:" + donor.casefold()) if donor else None,
            donor_name=donor or None,
            method=method,
            note=check_text(form.note, "note", MAX_NOTE),
        )
        done = self.record(site, entry, actor.name, actor)
        if done.replayed:
            was = done.entry
            same = (
                was.campaign_id == campaign.id
                and was.signed_minor == amount
                and was.on == entry.on
                and (was.donor_name or "") == donor
                and was.method is method
            )
            if same:
                raise Conflict(
                    N_("This donation was recorded already; it counts once."),
                    code="already-recorded",
                )
            raise Conflict(
                N_("This key was used for another donation; nothing was recorded."),
                code="key-reused",
            )
        return done

    def entries(self, site: Site, public_id: str, limit: int = 100) -> list[Entry]:
        return self.store.entries(self.campaign(site, public_id).id, limit)
