"""Learnt examples in the database: what a site's moderators decided (rostra.moderation.learning).

:class:`LearntReads` is the read side the learning phase asks, mixed into
:class:`~rostra.storage.moderation.SqlModerationState`: a site's version of its examples (their
count and highest id: a write deletes the comment's row and inserts a new one, so any change
moves it) and its most recent examples. :class:`SqlLearning` is what the ``moderation.learn``
job reads and writes (:class:`rostra.moderation.learning_job.LearningStore`): the decided
comment, and its example, filed under the site of the comment's own thread. Rows never hold text.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select

from rostra.moderation.learning_job import DecidedComment
from rostra.moderation.state import LearntExample
from rostra.storage.database import Engines
from rostra.storage.tables import comments, moderation_examples, threads

_E = moderation_examples
_VERSION = select(func.count(), func.coalesce(func.max(_E.c.id), 0)).where(
    _E.c.site_id == bindparam("b_site")
)
_EXAMPLES = (
    select(_E.c.label, _E.c.signature, _E.c.toxicity)
    .where(_E.c.site_id == bindparam("b_site"))
    .order_by(_E.c.id.desc())
    .limit(bindparam("b_limit"))
)
_COMMENT = (
    select(
        threads.c.site_id,
        comments.c.body,
        comments.c.status,
        comments.c.moderation,
        comments.c.deleted_at,
    )
    .select_from(comments.join(threads, threads.c.id == comments.c.thread_id))
    .where(comments.c.id == bindparam("b_comment"))
)
_FORGET = delete(_E).where(_E.c.comment_id == bindparam("b_comment"))
_INSERT = _E.insert()


class LearntReads:
    """:class:`rostra.moderation.state.LearntMemory` over the Rostra database."""

    engines: Engines

    def learnt_version(self, site_id: int) -> tuple[int, int]:
        with self.engines.read.connect() as conn:
            count, top = conn.execute(_VERSION, {"b_site": site_id}).one()
        return int(count), int(top)

    def learnt_examples(self, site_id: int, limit: int) -> list[LearntExample]:
        with self.engines.read.connect() as conn:
            rows = conn.execute(_EXAMPLES, {"b_site": site_id, "b_limit": limit}).all()
        return [LearntExample(row.label, row.signature, row.toxicity) for row in rows]


class SqlLearning:
    """The ``moderation.learn`` job's store."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    def decided_comment(self, comment_id: int) -> DecidedComment | None:
        with self.engines.read.connect() as conn:
            row = conn.execute(_COMMENT, {"b_comment": comment_id}).first()
        if row is None:
            return None
        return DecidedComment(
            site_id=int(row.site_id),
            body=row.body,
            status=row.status,
            toxicity=_toxicity(row.moderation),
            deleted=row.deleted_at is not None,
        )

    def save_example(
        self, site_id: int, comment_id: int, example: LearntExample, at: datetime
    ) -> None:
        with self.engines.writing(), self.engines.write.begin() as conn:
            conn.execute(_FORGET, {"b_comment": comment_id})
            conn.execute(
                _INSERT,
                {
                    "site_id": site_id,
                    "comment_id": comment_id,
                    "label": example.label,
                    "signature": example.signature,
                    "toxicity": example.toxicity,
                    "created_at": at,
                },
            )

    def forget_example(self, comment_id: int) -> None:
        with self.engines.writing(), self.engines.write.begin() as conn:
            conn.execute(_FORGET, {"b_comment": comment_id})


def _toxicity(record: str | None) -> float | None:
    """The shared model's toxicity in a stored moderation record, when it has one."""
    if not record:
        return None
    try:
        data: Any = json.loads(record)
        value = data["scores"]["toxicity"]
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
