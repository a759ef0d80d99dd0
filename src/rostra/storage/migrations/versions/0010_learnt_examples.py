"""Learning from the desk: a site's moderators' decisions as learnt examples

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "moderation_examples",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("comment_id", Id, nullable=False),
        sa.Column("label", sa.String(length=8), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("toxicity", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_moderation_examples_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_moderation_examples_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_examples")),
        sa.UniqueConstraint("comment_id", name=op.f("uq_moderation_examples_comment_id")),
    )
    op.create_index(
        "ix_moderation_examples_site", "moderation_examples", ["site_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_moderation_examples_site", table_name="moderation_examples")
    op.drop_table("moderation_examples")
