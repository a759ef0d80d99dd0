"""The Courier's reader-funding campaign, seeded through the real funding service.

Our own figures: a goal of £5,000 for the winter's court and council reporting, ticks at £0,
£2,500 and £5,000, and £895 given so far in fourteen offline donations (cheques, transfers and
the cash tin at the front counter), recorded through ``Funding.record_offline`` with keys of
their own, as an admin at the desk would record them. Seeding is idempotent: a site that has a
campaign already gets nothing more.
"""

from __future__ import annotations

from datetime import date, timedelta

from rostra.domain.funding import Campaign
from rostra.domain.models import Site
from rostra.domain.webhooks import Actor
from rostra.services.funding import CampaignFields, Funding, OfflineDonation
from rostra.storage.database import Engines
from rostra.storage.funding import SqlFundingStore

TITLE = "Keep the Courier in the council chamber this winter"
GOAL = "5000"
CURRENCY = "GBP"
TICKS = "0,2500,5000"
SEEDER = Actor(None, "The Courier's front desk (demo seed)")

# (days before today, amount, method, donor or "") — fourteen gifts, £895 in all.
GIFTS: tuple[tuple[int, str, str, str], ...] = (
    (9, "100", "cheque", "Kelmouth Rowing Club"),
    (9, "25", "cash", ""),
    (8, "50", "bank_transfer", "M. Okonkwo"),
    (8, "10", "cash", ""),
    (7, "120", "bank_transfer", "The Anchor Bakery"),
    (6, "40", "cheque", "E. Trevithick"),
    (6, "15", "cash", ""),
    (5, "75", "bank_transfer", "Port-Lérec twinning association"),
    (4, "200", "cheque", "Harbour Traders' Guild"),
    (4, "20", "cash", ""),
    (3, "60", "bank_transfer", "J. and R. Pascoe"),
    (2, "35", "cash", ""),
    (1, "100", "bank_transfer", "A reader in Hafenwerder"),
    (0, "45", "cheque", "S. Adeyemi"),
)


def seed_campaign(engines: Engines, site: Site, today: date | None = None) -> Campaign:
    """The site's campaign: the first it has, else a new one with its seeded donations."""
    funding = Funding(SqlFundingStore(engines))
    existing = funding.campaigns(site)
    if existing:
        return existing[0]
    day = today or date.today()
    campaign = funding.add_campaign(
        site,
        CampaignFields(title=TITLE, goal=GOAL, currency=CURRENCY, ticks=TICKS),
        SEEDER,
    )
    for number, (days_ago, amount, method, donor) in enumerate(GIFTS, start=1):
        funding.record_offline(
            site,
            OfflineDonation(
                campaign=campaign.public_id,
                amount=amount,
                currency=CURRENCY,
                method=method,
                on=(day - timedelta(days=days_ago)).isoformat(),
                key=f"demo-gift-{number}",
                donor=donor,
            ),
            SEEDER,
        )
    return funding.campaign(site, campaign.public_id)


def open_campaign(funding: Funding, site: Site) -> Campaign | None:
    """The campaign the article's meters show: the site's first open one."""
    return next((c for c in funding.campaigns(site) if c.open), None)
