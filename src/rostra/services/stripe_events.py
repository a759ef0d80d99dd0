"""Stripe's webhook events as the donations ledger reads them: the signature check, the shapes
of the few objects Rostra reads, and what each event records.

The signature is checked by the ``stripe`` package itself (``WebhookSignature.verify_header``:
``t=...,v1=`` an HMAC-SHA256 of ``"t.payload"`` under the site's webhook secret, with the
timestamp tolerance) before a byte of the body is parsed. The body is then decoded strictly
(msgspec): an amount that is not a whole number of minor units is refused, not rounded.

Each entry is keyed by the id of the Stripe object it records, not of the event that carried it,
so an event delivered twice, or a second event about the same object, counts once:

- ``checkout.session.completed`` (or ``.async_payment_succeeded``) of a paid one-off session:
  a payment of ``amount_total`` in ``currency``, keyed by the session, towards
  ``metadata.campaign``; the payment is the session's PaymentIntent, which refunds name.
- ``invoice.paid`` of a monthly gift: a payment of ``amount_paid``, keyed by the invoice, towards
  the campaign in the subscription's metadata (Rostra's Checkout Sessions put it there). A
  subscription's checkout session records nothing: its first invoice is the first payment.
- ``charge.refunded``: each refund of ``refunds.data`` keyed by its id; when Stripe sends no
  list (API versions since 2022-11-15 leave it out), the charge's cumulative ``amount_refunded``
  less what is recorded already, keyed by the cumulative amount, so a late, smaller total
  changes nothing.
- ``charge.dispute.closed`` with ``status: lost``: the disputed amount, keyed by the dispute.

Any other type, and these types in states that move no money, are acknowledged and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import msgspec
import stripe

from rostra.domain.errors import N_, InvalidInput, RostraError
from rostra.domain.funding import EntryKind

PAYMENT_TYPES = frozenset(
    {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
)
HANDLED_TYPES = PAYMENT_TYPES | {"invoice.paid", "charge.refunded", "charge.dispute.closed"}


class SignatureRefused(RostraError):
    """The ``Stripe-Signature`` header is missing, wrong or too old (400: Stripe retries)."""

    status = 400
    code = "signature-invalid"


class MalformedEvent(RostraError):
    status = 400
    code = "invalid-json"


def verify(payload: bytes, header: str | None, secret: str, tolerance: int) -> None:
    """Refuse ``payload`` unless Stripe signed it with ``secret`` less than ``tolerance``
    seconds ago; the three refusals have their own codes."""
    if not header:
        raise SignatureRefused(
            N_("The Stripe-Signature header is missing."), code="signature-missing"
        )
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedEvent(
            N_("The request body is not valid UTF-8."), code="invalid-utf8"
        ) from None
    try:
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance)
    except stripe.SignatureVerificationError:
        try:  # the right signature on an old timestamp: a replayed capture, said as such
            stripe.WebhookSignature.verify_header(text, header, secret, None)
        except stripe.SignatureVerificationError:
            raise SignatureRefused(
                N_("The Stripe-Signature header does not match this site's webhook secret.")
            ) from None
        raise SignatureRefused(
            N_("The event was signed more than %(seconds)d seconds ago."),
            code="signature-stale",
            seconds=tolerance,
        ) from None


# -- the shapes read (what Stripe sends has many more fields; unknown ones are ignored) -------


class Metadata(msgspec.Struct):
    campaign: str | None = None
    site: str | None = None


class CheckoutSession(msgspec.Struct):
    id: str
    mode: str = "payment"
    payment_status: str = "unpaid"
    amount_total: int | None = None
    currency: str | None = None
    payment_intent: str | None = None
    customer: str | None = None
    metadata: Metadata = msgspec.field(default_factory=Metadata)


class SubscriptionDetails(msgspec.Struct):
    metadata: Metadata = msgspec.field(default_factory=Metadata)
    subscription: str | None = None


class InvoiceParent(msgspec.Struct):
    subscription_details: SubscriptionDetails | None = None


class PaymentRef(msgspec.Struct):
    payment_intent: str | None = None


class InvoicePayment(msgspec.Struct):
    payment: PaymentRef = msgspec.field(default_factory=PaymentRef)


class InvoicePayments(msgspec.Struct):
    data: list[InvoicePayment] = []


class Invoice(msgspec.Struct):
    id: str
    amount_paid: int
    currency: str
    status: str | None = None
    customer: str | None = None
    # API versions since 2025-03 (basil): the subscription and its metadata under ``parent``,
    # the payment under ``payments``; before, at the top.
    parent: InvoiceParent | None = None
    subscription_details: SubscriptionDetails | None = None
    payments: InvoicePayments | None = None
    payment_intent: str | None = None


class Refund(msgspec.Struct):
    id: str
    amount: int
    status: str | None = None


class Refunds(msgspec.Struct):
    data: list[Refund] = []


class Charge(msgspec.Struct):
    id: str
    currency: str
    amount_refunded: int = 0
    payment_intent: str | None = None
    refunds: Refunds | None = None
    metadata: Metadata = msgspec.field(default_factory=Metadata)


class Dispute(msgspec.Struct):
    id: str
    amount: int
    currency: str
    status: str
    charge: str | None = None
    payment_intent: str | None = None
    metadata: Metadata = msgspec.field(default_factory=Metadata)


class EventData(msgspec.Struct):
    object: msgspec.Raw


class Event(msgspec.Struct):
    id: str
    type: str
    created: int
    data: EventData


@dataclass(frozen=True, slots=True)
class Planned:
    """One entry an event asks for. ``campaign`` is None when only the payment's own record
    can say (a refund whose charge carries no metadata); ``cumulative`` marks a charge's total
    refunded, from which the recorded refunds are taken away."""

    kind: EntryKind
    external_id: str
    amount_minor: int
    currency: str
    payment_ref: str
    on: date
    campaign: str | None
    site: str | None
    donor_key: str | None = None
    cumulative: bool = False


def _bad(reason: str) -> InvalidInput:
    return InvalidInput(
        N_("The event is not valid: %(reason)s"), code="invalid-event", reason=reason[:200]
    )


def parse_event(payload: bytes) -> Event:
    try:
        return msgspec.json.decode(payload, type=Event)
    except msgspec.ValidationError as exc:
        raise _bad(str(exc)) from None
    except msgspec.DecodeError:
        raise MalformedEvent(N_("The request body is not valid JSON.")) from None


def _object(event: Event, kind: type[msgspec.Struct]) -> msgspec.Struct:
    try:
        return msgspec.json.decode(event.data.object, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise _bad(str(exc)) from None


def plan(event: Event) -> list[Planned]:
    """The entries ``event`` records (none for a type or state that moves no money)."""
    if event.type not in HANDLED_TYPES:
        return []
    on = datetime.fromtimestamp(max(event.created, 0), UTC).date()
    if event.type in PAYMENT_TYPES:
        session = _object(event, CheckoutSession)
        assert isinstance(session, CheckoutSession)
        if session.mode != "payment" or session.payment_status != "paid":
            return []  # a subscription counts by its invoices; an unpaid one when it pays
        if session.amount_total is None or session.currency is None:
            raise _bad("a paid session without amount_total or currency")
        return [
            Planned(
                EntryKind.PAYMENT,
                session.id,
                session.amount_total,
                session.currency.upper(),
                session.payment_intent or session.id,
                on,
                session.metadata.campaign,
                session.metadata.site,
                donor_key=_donor(session.customer),
            )
        ]
    if event.type == "invoice.paid":
        invoice = _object(event, Invoice)
        assert isinstance(invoice, Invoice)
        details = (
            invoice.parent.subscription_details
            if invoice.parent and invoice.parent.subscription_details
            else invoice.subscription_details
        )
        if details is None or invoice.amount_paid == 0:
            return []  # not a subscription's invoice, or nothing was paid (a free trial)
        payments = invoice.payments.data if invoice.payments else []
        intent = next(
            (p.payment.payment_intent for p in payments if p.payment.payment_intent), None
        )
        return [
            Planned(
                EntryKind.PAYMENT,
                invoice.id,
                invoice.amount_paid,
                invoice.currency.upper(),
                intent or invoice.payment_intent or invoice.id,
                on,
                details.metadata.campaign,
                details.metadata.site,
                donor_key=_donor(invoice.customer),
            )
        ]
    if event.type == "charge.refunded":
        charge = _object(event, Charge)
        assert isinstance(charge, Charge)
        ref = charge.payment_intent or charge.id
        common = (charge.currency.upper(), ref, on, charge.metadata.campaign, charge.metadata.site)
        if charge.refunds is not None and charge.refunds.data:
            return [
                Planned(EntryKind.REFUND, r.id, r.amount, *common)
                for r in charge.refunds.data
                if r.status in (None, "succeeded", "pending")
            ]
        if charge.amount_refunded <= 0:
            return []
        return [
            Planned(
                EntryKind.REFUND,
                f"{charge.id}:refunded:{charge.amount_refunded}",
                charge.amount_refunded,
                *common,
                cumulative=True,
            )
        ]
    dispute = _object(event, Dispute)
    assert isinstance(dispute, Dispute)
    if dispute.status != "lost":
        return []
    return [
        Planned(
            EntryKind.DISPUTE_LOST,
            dispute.id,
            dispute.amount,
            dispute.currency.upper(),
            dispute.payment_intent or dispute.charge or dispute.id,
            on,
            dispute.metadata.campaign,
            dispute.metadata.site,
        )
    ]


def _donor(customer: str | None) -> str | None:
    return f"stripe:{customer}" if customer else None
