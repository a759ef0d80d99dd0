"""Comments by one reader in one thread: an index on (reader_key, thread_id)

The notification fan-out asks, for each published comment, which addresses its author has given
in the thread (so nobody is mailed about their own comment). With an index on ``reader_key``
alone beside the thread's indexes, SQLite chose the thread's and read every comment of it: in
a thread of 6,000 comments that was most of the fan-out's time. This index replaces
``ix_comments_reader``: a lookup by reader alone uses its first column.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_comments_reader_thread", "comments", ["reader_key", "thread_id"])
    op.drop_index("ix_comments_reader", table_name="comments")


def downgrade() -> None:
    op.create_index("ix_comments_reader", "comments", ["reader_key"])
    op.drop_index("ix_comments_reader_thread", table_name="comments")
