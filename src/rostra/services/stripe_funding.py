"""Donations through Stripe, the use cases: a reader's Checkout Session, and Stripe's webhooks
counted into the donations ledger.

:meth:`StripeDonations.checkout` checks the reader's gift (the campaign is the site's and open,
the amount one of the site's presets or any from its minimum, in the campaign's currency, once
or monthly) and has the gateway create a Checkout Session whose metadata names the campaign and
the site (on the PaymentIntent or the subscription too, so refunds and invoices name them).

:meth:`StripeDonations.take_event` is the webhook: the signature is checked with the site's
webhook secret (rostra.services.stripe_events), the event read strictly, and each entry it asks
for recorded through :meth:`rostra.services.funding.Funding.record`, the one way money enters
Rostra, as source ``stripe`` keyed by the Stripe object's id: a replay counts once. Every entry
of an event is checked before the first is recorded, so a bad event records nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from rostra.domain.clock import utc_now
from rostra.domain.donation_settings import MAX_GIFT_MAJOR, DonationSettings
from rostra.domain.errors import N_, Conflict, InvalidInput, NotFound
from rostra.domain.funding import (
    Campaign,
    EntryKind,
    NewEntry,
    Source,
    check_key,
    check_minor,
    currency_exponent,
    parse_amount,
    plain_amount,
)
from rostra.domain.models import Site
from rostra.services.funding import Funding
from rostra.services.stripe_events import Planned, parse_event, plan, verify

Frequency = Literal["once", "monthly"]
RECORDED_BY = "stripe"


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """What the gateway asks Stripe for: one line of ``amount_minor`` in ``currency``."""

    secret_key: str
    campaign: Campaign
    site_slug: str
    amount_minor: int
    frequency: Frequency
    success_url: str
    cancel_url: str
    product: str
    locale: str


class CheckoutGateway(Protocol):
    """Creates a Checkout Session and says where to send the reader (rostra.services.
    stripe_checkout's, through the ``stripe`` package)."""

    def create_session(self, request: CheckoutRequest) -> str: ...


class PaymentLookup(Protocol):
    """What the ledger knows of a payment (rostra.storage.stripe_funding)."""

    def campaign_of(self, site_id: int, payment_ref: str) -> str | None:
        """The public id of the campaign a recorded Stripe payment or refund went to."""
        ...

    def refunded(self, site_id: int, payment_ref: str) -> int:
        """The refunds recorded for the payment, in minor units (a positive number)."""
        ...


@dataclass(frozen=True, slots=True)
class Taken:
    """What a webhook did: entries recorded, entries that were there already (a replay)."""

    event_id: str
    event_type: str
    recorded: int
    replayed: int

    @property
    def ignored(self) -> bool:
        return self.recorded == 0 and self.replayed == 0


class NotConfigured(NotFound):
    code = "stripe-not-configured"


def donation_settings(site: Site) -> DonationSettings:
    return DonationSettings.from_mapping(site.settings.funding)


def gift_choices(campaign: Campaign, settings: DonationSettings) -> tuple[tuple[int, ...], int]:
    """The presets and the minimum a reader is offered, in minor units: the campaign's own
    (``rostra campaign update --presets 10,25 --minimum 5``), else the site's."""
    unit = 10 ** currency_exponent(campaign.currency)
    presets = campaign.presets or tuple(p * unit for p in settings.presets)
    return presets, campaign.minimum_minor or settings.minimum * unit


def gift_amount(raw: str, campaign: Campaign, settings: DonationSettings) -> int:
    """The reader's amount in minor units: digits as typed (``25``, ``25.50``), at least the
    minimum, at most :data:`MAX_GIFT_MAJOR`."""
    minor = parse_amount(raw, campaign.currency, limit_major=MAX_GIFT_MAJOR)
    least = gift_choices(campaign, settings)[1]
    if minor < least:
        raise InvalidInput(
            N_("The smallest gift is %(minimum)s %(currency)s."),
            field="amount",
            code="amount-too-small",
            minimum=plain_amount(least, campaign.currency),
            currency=campaign.currency,
        )
    return minor


class StripeDonations:
    def __init__(
        self,
        funding: Funding,
        lookup: PaymentLookup,
        gateway: CheckoutGateway,
        *,
        tolerance: int = 300,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.funding = funding
        self.lookup = lookup
        self.gateway = gateway
        self.tolerance = tolerance
        self.clock = clock
        self._cumulative = threading.Lock()

    # -- the reader's gift -------------------------------------------------------------------

    def giving_campaign(self, site: Site, public_id: str) -> Campaign:
        """The site's campaign a reader may give to now (open, amounts in money)."""
        campaign = self.funding.campaign(site, public_id.strip())
        if not campaign.open:
            raise Conflict(
                N_("The campaign %(title)s is closed."),
                code="campaign-closed",
                title=campaign.title,
            )
        return campaign

    def checkout(
        self,
        site: Site,
        public_id: str,
        amount: str,
        frequency: str,
        *,
        success_url: str,
        cancel_url: str,
        product: str,
        locale: str,
    ) -> str:
        """Where to send the reader: the Checkout Session's address."""
        settings = donation_settings(site)
        if not settings.checkout_ready:
            raise NotConfigured(N_("This site does not take donations online yet."))
        campaign = self.giving_campaign(site, public_id)
        if frequency not in ("once", "monthly") or (
            frequency == "monthly" and not settings.monthly
        ):
            raise InvalidInput(
                N_("Choose a one-off or a monthly gift."),
                field="frequency",
                code="invalid-frequency",
            )
        minor = gift_amount(amount, campaign, settings)
        freq: Frequency = "monthly" if frequency == "monthly" else "once"
        return self.gateway.create_session(
            CheckoutRequest(
                secret_key=settings.stripe_secret_key,
                campaign=campaign,
                site_slug=site.slug,
                amount_minor=minor,
                frequency=freq,
                success_url=success_url,
                cancel_url=cancel_url,
                product=product,
                locale=locale,
            )
        )

    # -- Stripe's webhooks ----------------------------------------------------------------------

    def take_event(self, site: Site, payload: bytes, signature: str | None) -> Taken:
        """Verify, read and record one webhook event of ``site``'s Stripe account."""
        secret = donation_settings(site).stripe_webhook_secret
        if not secret:
            raise NotConfigured(N_("This site takes no Stripe webhooks: no webhook secret is set."))
        verify(payload, signature, secret, self.tolerance)
        event = parse_event(payload)
        entries = []
        planned_all = plan(event)
        # An event of several entries (a list of refunds) has each checked before the first
        # is written; one entry alone is checked by Funding.record, on the campaign's locked row.
        several = len(planned_all) > 1
        for planned in planned_all:
            entry, campaign = self._entry(site, planned, fetch=several)
            if campaign is not None:
                campaign.check_accepts(entry.kind, entry.currency, entry.on)
            entries.append(entry)
        if any(p.cumulative for p in planned_all):
            # A charge's total refunded, less what is recorded: read and write one at a time
            # in this process, so two such events of one charge cannot both count the same
            # refund. (Across processes they could; Stripe sends a charge's events one by one.)
            with self._cumulative:
                entries = [self._entry(site, p, fetch=False)[0] for p in planned_all]
                return self._record(site, event.id, event.type, entries)
        return self._record(site, event.id, event.type, entries)

    def _record(self, site: Site, event_id: str, event_type: str, entries: list[NewEntry]) -> Taken:
        recorded = replayed = 0
        for entry in entries:
            if entry.amount_minor <= 0:  # a cumulative refund already counted
                replayed += 1
                continue
            done = self.funding.record(site, entry, RECORDED_BY)
            replayed += done.replayed
            recorded += not done.replayed
        return Taken(event_id[:255], event_type[:100], recorded, replayed)

    def _entry(
        self, site: Site, planned: Planned, *, fetch: bool
    ) -> tuple[NewEntry, Campaign | None]:
        if planned.site is not None and planned.site != site.slug:
            raise NotFound(N_("This campaign does not exist."), code="campaign-not-found")
        check_key(planned.external_id, "id")
        check_key(planned.payment_ref, "payment")
        campaign = planned.campaign
        if campaign is None and planned.kind is not EntryKind.PAYMENT:
            campaign = self.lookup.campaign_of(site.id, planned.payment_ref)
            if campaign is None:
                # Refunds and disputes of a payment not recorded yet: Stripe retries a refusal,
                # and by then the payment has come.
                raise Conflict(
                    N_("The payment this event concerns is not recorded yet."),
                    code="payment-not-recorded",
                )
        if campaign is None:
            raise InvalidInput(
                N_("The event names no campaign (metadata.campaign)."),
                field="metadata.campaign",
                code="no-campaign",
            )
        # NotFound for another site's campaign or none (Funding.record says so too).
        found = self.funding.campaign(site, campaign) if fetch else None
        amount = check_minor(planned.amount_minor, planned.currency)
        if planned.cumulative:
            amount -= self.lookup.refunded(site.id, planned.payment_ref)
        entry = NewEntry(
            campaign_public_id=campaign,
            source=Source.STRIPE,
            external_id=planned.external_id,
            kind=planned.kind,
            amount_minor=amount,
            currency=planned.currency,
            payment_ref=planned.payment_ref,
            on=planned.on,
            donor_key=planned.donor_key,
        )
        return entry, found
