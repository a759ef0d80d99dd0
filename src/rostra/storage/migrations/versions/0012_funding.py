"""Reader funding: campaigns with their running totals, the donations ledger, donations, donors

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("goal_type", sa.String(length=16), nullable=False),
        sa.Column("goal", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("ticks", sa.String(length=400), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("raised_minor", sa.BigInteger(), nullable=False),
        sa.Column("donations", sa.BigInteger(), nullable=False),
        sa.Column("donors", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        _fk("campaigns", "site_id", "sites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("public_id", name=op.f("uq_campaigns_public_id")),
    )
    op.create_index("ix_campaigns_site", "campaigns", ["site_id", "id"])
    op.create_table(
        "donation_entries",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("campaign_id", Id, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_ref", sa.String(length=255), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("donor_name", sa.String(length=200), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("recorded_at", When, nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        _fk("donation_entries", "site_id", "sites"),
        _fk("donation_entries", "campaign_id", "campaigns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donation_entries")),
        sa.UniqueConstraint(
            "site_id", "source", "external_id", name=op.f("uq_donation_entries_source")
        ),
    )
    op.create_index("ix_donation_entries_campaign", "donation_entries", ["campaign_id", "id"])
    op.create_table(
        "donations",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("campaign_id", Id, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("payment_ref", sa.String(length=255), nullable=False),
        sa.Column("donor_key", sa.String(length=255), nullable=True),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        _fk("donations", "site_id", "sites"),
        _fk("donations", "campaign_id", "campaigns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donations")),
        sa.UniqueConstraint("site_id", "source", "payment_ref", name=op.f("uq_donations_payment")),
    )
    op.create_table(
        "campaign_donors",
        sa.Column("campaign_id", Id, nullable=False),
        sa.Column("donor_key", sa.String(length=255), nullable=False),
        sa.Column("donations", sa.Integer(), nullable=False),
        _fk("campaign_donors", "campaign_id", "campaigns"),
        sa.PrimaryKeyConstraint("campaign_id", "donor_key", name=op.f("pk_campaign_donors")),
    )


def downgrade() -> None:
    op.drop_table("campaign_donors")
    op.drop_table("donations")
    op.drop_index("ix_donation_entries_campaign", table_name="donation_entries")
    op.drop_table("donation_entries")
    op.drop_index("ix_campaigns_site", table_name="campaigns")
    op.drop_table("campaigns")
