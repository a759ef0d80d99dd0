"""The job a comment's publication causes: ``notify.published``, one per comment.

Enqueued in the transaction that makes a comment published (rostra.services.posting when it is
posted or edited into publication, rostra.services.desk when a moderator approves it), so the
comment and its notifications commit together or not at all. Its idempotency key names the
comment alone: a comment approved, rejected and approved again notifies once. The handler
(rostra.notify.fanout) finds the subscribers when it runs.
"""

from __future__ import annotations

from datetime import datetime

from rostra.domain.models import Comment, CommentStatus
from rostra.services.ports import NewJob, WriteTransaction

PUBLISHED_JOB = "notify.published"


def published_job(comment: Comment) -> NewJob:
    return NewJob(PUBLISHED_JOB, {"comment": comment.id}, f"{PUBLISHED_JOB}:{comment.id}")


def enqueue_published(tx: WriteTransaction, comment: Comment, now: datetime) -> None:
    """Enqueue the comment's ``notify.published`` job if it is published, not deleted, and its
    thread has followers: a thread no one follows (most of them) costs one indexed read, not a
    job to write, claim and finish. Someone who starts following later is not told of comments
    published before."""
    if comment.status is not CommentStatus.PUBLISHED or comment.is_deleted:
        return
    if tx.has_followers(comment.thread_id):
        tx.enqueue(published_job(comment), now)
