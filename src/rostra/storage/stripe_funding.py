"""What the ledger knows of a Stripe payment, for the webhooks (rostra.services.stripe_funding's
``PaymentLookup``): which campaign a payment went to, and how much of it was refunded. Both read
rows the ledger keeps (rostra.storage.funding): the campaign through the donations' unique
(site, source, payment) index; the refunds by summing the payment's entries (only for a
charge.refunded that comes without its list of refunds, which is rare).
"""

from __future__ import annotations

from sqlalchemy import func, select

from rostra.domain.funding import EntryKind, Source
from rostra.storage.database import Engines
from rostra.storage.tables import campaigns, donation_entries, donations


class SqlPaymentLookup:
    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    def campaign_of(self, site_id: int, payment_ref: str) -> str | None:
        d = donations.c
        with self.engines.read.connect() as conn:
            found = conn.execute(
                select(campaigns.c.public_id)
                .join(donations, d.campaign_id == campaigns.c.id)
                .where(
                    d.site_id == site_id,
                    d.source == Source.STRIPE.value,
                    d.payment_ref == payment_ref,
                )
            ).scalar()
        return None if found is None else str(found)

    def refunded(self, site_id: int, payment_ref: str) -> int:
        e = donation_entries.c
        with self.engines.read.connect() as conn:
            total = conn.execute(
                select(func.coalesce(func.sum(e.amount_minor), 0)).where(
                    e.site_id == site_id,
                    e.source == Source.STRIPE.value,
                    e.payment_ref == payment_ref,
                    e.kind == EntryKind.REFUND.value,
                )
            ).scalar_one()
        return -int(total)
