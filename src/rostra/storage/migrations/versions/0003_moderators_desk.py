"""moderators' desk: staff accounts and sessions, reader reports, bans, the audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("open_reports", sa.Integer(), nullable=False, server_default="0")
        )
    # Partial indexes (see rostra.storage.tables): only the rows the desk looks for.
    not_published = sa.text("status <> 'published'")
    reported = sa.text("open_reports > 0")
    with_email = sa.text("email_hash IS NOT NULL")
    op.create_index(
        "ix_comments_status",
        "comments",
        ["status", "created_at"],
        sqlite_where=not_published,
        postgresql_where=not_published,
    )
    op.create_index(
        "ix_comments_open_reports",
        "comments",
        ["open_reports"],
        sqlite_where=reported,
        postgresql_where=reported,
    )
    op.create_index(
        "ix_comments_email",
        "comments",
        ["email_hash"],
        sqlite_where=with_email,
        postgresql_where=with_email,
    )

    op.create_table(
        "staff_accounts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_accounts_username")),
    )
    op.create_table(
        "staff_sites",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_sites_account_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_staff_sites_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "site_id", name=op.f("pk_staff_sites")),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("last_seen_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_sessions_account_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_staff_sessions")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_staff_sessions_account", ["account_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("comment_id", Id, nullable=False),
        sa.Column("reporter_key", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("resolved_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_reports_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("comment_id", "reporter_key", name="uq_reports_comment_reporter"),
    )
    op.create_table(
        "bans",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("expires_at", When, nullable=True),
        sa.Column("lifted_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_bans_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bans")),
    )
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.create_index("ix_bans_lookup", ["site_id", "kind", "value"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("comment_id", Id, nullable=True),
        sa.Column("comment_public_id", sa.String(length=32), nullable=True),
        sa.Column("actor_id", Id, nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("grounds", sa.String(length=32), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_audit_log_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_site", ["site_id", "id"], unique=False)
        batch_op.create_index("ix_audit_log_comment", ["comment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_comment")
        batch_op.drop_index("ix_audit_log_site")
    op.drop_table("audit_log")
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.drop_index("ix_bans_lookup")
    op.drop_table("bans")
    op.drop_table("reports")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_sessions_account")
    op.drop_table("staff_sessions")
    op.drop_table("staff_sites")
    op.drop_table("staff_accounts")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_email")
        batch_op.drop_index("ix_comments_open_reports")
        batch_op.drop_index("ix_comments_status")
        batch_op.drop_column("open_reports")
