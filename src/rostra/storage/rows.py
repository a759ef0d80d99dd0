"""Rows to domain objects, shared by the store's modules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from rostra.domain.models import Comment, CommentStatus, Site, SiteSettings, Thread
from rostra.storage.tables import comments


def has_nul(*values: str) -> bool:
    """PostgreSQL text cannot hold NUL; such a key names nothing on either database."""
    return any("\x00" in v for v in values)


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def site_from_row(row: Row[Any]) -> Site:
    settings = json.loads(row.settings or "{}")
    return Site(
        id=row.id,
        slug=row.slug,
        name=row.name,
        allowed_origins=tuple(o for o in (row.allowed_origins or "").split() if o),
        settings=SiteSettings.from_mapping(settings),
    )


def thread_from_row(row: Row[Any]) -> Thread:
    return Thread(
        id=row.id,
        site_id=row.site_id,
        external_id=row.external_id,
        url=row.url,
        title=row.title,
        comment_count=row.comment_count,
        version=row.version,
        created_at=utc(row.created_at) or datetime.now(UTC),
        closed=bool(row.closed),
    )


def comment_from_row(row: Row[Any]) -> Comment:
    return Comment(
        id=row.id,
        public_id=row.public_id,
        thread_id=row.thread_id,
        parent_id=row.parent_id,
        root_id=row.root_id,
        depth=row.depth,
        author_name=row.author_name,
        reader_key=row.reader_key,
        account_id=row.account_id,
        body=row.body,
        html=row.html,
        status=CommentStatus(row.status),
        created_at=utc(row.created_at) or datetime.now(UTC),
        edited_at=utc(row.edited_at),
        edited_by=row.edited_by,
        deleted_at=utc(row.deleted_at),
        upvotes=row.upvotes,
        downvotes=row.downvotes,
        reply_count=row.reply_count,
        language=row.language,
    )


# The moderation record is for the moderators' queue, not for every thread read.
COMMENT_COLUMNS = [
    c for c in comments.c if c.name not in ("email_hash", "client_nonce", "moderation")
]
