"""The ``moderation.learn`` job: a desk decision becomes a learnt example of its site.

The desk enqueues it in the decision's transaction (``rostra.services.desk_learning``), naming
only the comment. The handler reads the comment as it is *now* and files the example under the
site of the comment's own thread, so a replayed or late job learns the latest decision, and no
payload can file one site's decision under another: approved (published) -> ``approve``;
rejected or spam -> ``reject``; anything else (pending again, deleted by its author, gone) ->
whatever was learnt of it is forgotten. The example keeps the comment's MinHash signature and the
toxicity the shared model gave it when it was posted (from its moderation record), never its
text; a comment without words (emoji only) teaches nothing. Computing the signature here, off the
posting path, is why learning costs a posting request nothing but a comparison.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rostra.domain.clock import utc_now
from rostra.domain.models import CommentStatus
from rostra.moderation.learning import (
    APPROVE,
    REJECT,
    encode_signature,
    note_learnt,
    signature_of,
)
from rostra.moderation.state import LearntExample
from rostra.services.desk_learning import LEARN_JOB

log = logging.getLogger("rostra.moderation")

LABEL_OF_STATUS = {
    CommentStatus.PUBLISHED.value: APPROVE,
    CommentStatus.REJECTED.value: REJECT,
    CommentStatus.SPAM.value: REJECT,
}


@dataclass(frozen=True, slots=True)
class DecidedComment:
    """A decided comment as the job reads it."""

    site_id: int
    body: str
    status: str
    toxicity: float | None
    deleted: bool = False


class LearningStore(Protocol):
    """What the job needs from storage (``rostra.storage.learning.SqlLearning``)."""

    def decided_comment(self, comment_id: int) -> DecidedComment | None: ...

    def save_example(
        self, site_id: int, comment_id: int, example: LearntExample, at: datetime
    ) -> None: ...

    def forget_example(self, comment_id: int) -> None: ...


class HasPayload(Protocol):
    @property
    def payload(self) -> Mapping[str, object]: ...


class Registry(Protocol):
    """Where handlers go (rostra.jobs.registry.JobHandlers)."""

    def register(self, kind: str, handler: Callable[[HasPayload], None]) -> None: ...


def learn(store: LearningStore, comment_id: int, now: datetime) -> str | None:
    """Learn (or forget) the decision on ``comment_id``; the label learnt, or ``None``."""
    found = store.decided_comment(comment_id)
    label = None if found is None or found.deleted else LABEL_OF_STATUS.get(found.status)
    signature = None if found is None or label is None else signature_of(found.body)
    if found is None or label is None or signature is None:
        store.forget_example(comment_id)
        note_learnt()
        return None
    store.save_example(
        found.site_id,
        comment_id,
        LearntExample(label, encode_signature(signature), found.toxicity),
        now,
    )
    note_learnt()
    return label


def register(
    registry: Registry, store: LearningStore, clock: Callable[[], datetime] = utc_now
) -> None:
    """The ``moderation.learn`` handler in ``registry``."""

    def handle(job: HasPayload) -> None:
        comment = job.payload.get("comment")
        if isinstance(comment, bool) or not isinstance(comment, int):
            # A payload the desk never writes: retrying cannot help, and nothing is learnt.
            log.warning("%s job without a comment id: nothing learnt", LEARN_JOB)
            return
        learn(store, comment, clock())

    registry.register(LEARN_JOB, handle)
