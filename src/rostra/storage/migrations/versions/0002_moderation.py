"""moderation: the comment's moderation record, rate-limit counters, text fingerprints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderation", sa.Text(), nullable=True))

    op.create_table(
        "moderation_counters",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_moderation_counters")),
    )
    with op.batch_alter_table("moderation_counters", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_counters_window", ["window_start"], unique=False)
    op.create_table(
        "moderation_fingerprints",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("comment_id", Id, nullable=True),
        sa.Column("reader_key", sa.String(length=64), nullable=True),
        sa.Column("exact", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_moderation_fingerprints_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_moderation_fingerprints_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_fingerprints")),
    )
    with op.batch_alter_table("moderation_fingerprints", schema=None) as batch_op:
        batch_op.create_index(
            "ix_moderation_fingerprints_exact", ["site_id", "exact", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_moderation_fingerprints_author",
            ["site_id", "reader_key", "created_at"],
            unique=False,
        )
        batch_op.create_index("ix_moderation_fingerprints_created", ["created_at"], unique=False)

    op.create_table(
        "moderation_bands",
        sa.Column("fingerprint_id", Id, nullable=False),
        sa.Column("band", sa.String(length=24), nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fingerprint_id"],
            ["moderation_fingerprints.id"],
            name=op.f("fk_moderation_bands_fingerprint_id_moderation_fingerprints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fingerprint_id", "band", name=op.f("pk_moderation_bands")),
    )
    with op.batch_alter_table("moderation_bands", schema=None) as batch_op:
        batch_op.create_index(
            "ix_moderation_bands_lookup", ["site_id", "band", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("moderation_bands", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_bands_lookup")
    op.drop_table("moderation_bands")
    with op.batch_alter_table("moderation_fingerprints", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_fingerprints_created")
        batch_op.drop_index("ix_moderation_fingerprints_author")
        batch_op.drop_index("ix_moderation_fingerprints_exact")
    op.drop_table("moderation_fingerprints")
    with op.batch_alter_table("moderation_counters", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_counters_window")
    op.drop_table("moderation_counters")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("moderation")
