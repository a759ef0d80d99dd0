""" "Notify me of", sending: the comments waiting for an hourly or daily digest

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "digest_items",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("subscriber_id", Id, nullable=False),
        sa.Column("subscription_id", Id, nullable=False),
        sa.Column("comment_id", Id, nullable=False),
        sa.Column("cadence", sa.String(length=10), nullable=False),
        sa.Column("due_at", When, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_digest_items_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_digest_items_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_digest_items_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_digest_items_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_items")),
        sa.UniqueConstraint(
            "subscriber_id", "comment_id", name="uq_digest_items_subscriber_comment"
        ),
    )
    op.create_index("ix_digest_items_due", "digest_items", ["cadence", "due_at", "subscriber_id"])


def downgrade() -> None:
    op.drop_index("ix_digest_items_due", table_name="digest_items")
    op.drop_table("digest_items")
