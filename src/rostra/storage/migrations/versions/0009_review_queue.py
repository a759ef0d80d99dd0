"""The desk's "To review" queue: when a published comment was flagged in the borderline band

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("review_since", sa.DateTime(timezone=True), nullable=True))
    flagged = sa.text("review_since IS NOT NULL")
    op.create_index(
        "ix_comments_review",
        "comments",
        ["review_since"],
        sqlite_where=flagged,
        postgresql_where=flagged,
    )


def downgrade() -> None:
    op.drop_index("ix_comments_review", table_name="comments")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("review_since")
