"""durable background work: the jobs outbox (docs/adr/0007-durable-jobs.md)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", When, nullable=False),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("locked_until", When, nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("finished_at", When, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_jobs_idempotency_key")),
    )
    # Partial indexes (see rostra.storage.tables): each reads only the jobs in one state.
    for name, columns, state in (
        ("ix_jobs_due", ["run_after", "id"], "queued"),
        ("ix_jobs_lease", ["locked_until"], "running"),
        ("ix_jobs_dead", ["id"], "dead"),
        ("ix_jobs_done", ["finished_at"], "done"),
    ):
        where = sa.text(f"state = '{state}'")
        op.create_index(name, "jobs", columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name in ("ix_jobs_done", "ix_jobs_dead", "ix_jobs_lease", "ix_jobs_due"):
        op.drop_index(name, table_name="jobs")
    op.drop_table("jobs")
