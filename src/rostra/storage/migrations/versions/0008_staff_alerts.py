"""Moderator alerts: staff accounts' alert address and cadence, waiting items, last sent

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
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
        "staff_alerts",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("cadence", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("updated_at", When, nullable=False),
        _fk("staff_alerts", "account_id", "staff_accounts"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_staff_alerts")),
    )
    op.create_table(
        "staff_alert_items",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("comment_id", Id, nullable=False),
        sa.Column("queue", sa.String(length=10), nullable=False),
        sa.Column("cadence", sa.String(length=10), nullable=False),
        sa.Column("due_at", When, nullable=False),
        sa.Column("created_at", When, nullable=False),
        _fk("staff_alert_items", "account_id", "staff_accounts"),
        _fk("staff_alert_items", "site_id", "sites"),
        _fk("staff_alert_items", "comment_id", "comments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_alert_items")),
        sa.UniqueConstraint("account_id", "comment_id", "queue", name="uq_staff_alert_items_event"),
    )
    op.create_index(
        "ix_staff_alert_items_due", "staff_alert_items", ["cadence", "due_at", "account_id"]
    )
    op.create_table(
        "staff_alert_marks",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("sent_at", When, nullable=False),
        _fk("staff_alert_marks", "account_id", "staff_accounts"),
        _fk("staff_alert_marks", "site_id", "sites"),
        sa.PrimaryKeyConstraint("account_id", "site_id", name=op.f("pk_staff_alert_marks")),
    )


def downgrade() -> None:
    op.drop_table("staff_alert_marks")
    op.drop_index("ix_staff_alert_items_due", table_name="staff_alert_items")
    op.drop_table("staff_alert_items")
    op.drop_table("staff_alerts")
