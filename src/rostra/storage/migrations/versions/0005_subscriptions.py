""" "Notify me of": subscribers (sealed addresses) and their subscriptions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("account_id", Id, nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("confirmed_at", When, nullable=True),
        sa.Column("confirm_nonce", sa.String(length=32), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_subscribers_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        sa.UniqueConstraint("site_id", "key", name="uq_subscribers_site_key"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("subscriber_id", Id, nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("target_key", sa.String(length=40), nullable=False),
        sa.Column("thread_id", Id, nullable=False),
        sa.Column("comment_id", Id, nullable=True),
        sa.Column("cadence", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("confirmed_at", When, nullable=True),
        sa.Column("ended_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_subscriptions_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_subscriptions_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["threads.id"],
            name=op.f("fk_subscriptions_thread_id_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_subscriptions_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "subscriber_id", "target_key", name="uq_subscriptions_subscriber_target"
        ),
    )
    op.create_index("ix_subscriptions_thread", "subscriptions", ["thread_id", "state"])
    op.create_index("ix_subscriptions_comment", "subscriptions", ["comment_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_subscriptions_comment", table_name="subscriptions")
    op.drop_index("ix_subscriptions_thread", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_table("subscribers")
