"""A campaign's gift presets and minimum (the reader's choices on the donation page)

Presets are a comma-separated list of amounts in minor units (empty: the site's); the minimum
is in minor units (0: the site's).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 02:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("presets", sa.String(200), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("minimum_minor", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("minimum_minor")
        batch.drop_column("presets")
