"""The job a desk decision causes so that the site learns from it: ``moderation.learn``.

Enqueued in the decision's transaction (rostra.services.desk) when the decision overrides or
settles what the pipeline did: a comment approved into publication from held (or rejected), or
one rejected (or marked spam) that was published, reported or held. The handler
(rostra.moderation.learning_job) reads the comment when it runs and files the example under the
comment's own site. Nothing is enqueued for a site whose ``moderation.learning.enabled`` (or
``moderation.enabled``) is false. Each decision gets its own job (the key names the decision's
time), since a comment approved, rejected and approved again must be learnt as it ends.
"""

from __future__ import annotations

from datetime import datetime

from rostra.domain.models import Comment, CommentStatus, Site
from rostra.services.ports import NewJob

LEARN_JOB = "moderation.learn"
_REMOVED = (CommentStatus.REJECTED, CommentStatus.SPAM)


def learning_on(site: Site) -> bool:
    """Whether the site learns from its desk (on unless its settings turn it off)."""
    moderation = site.settings.moderation
    if moderation.get("enabled", True) is False:
        return False
    section = moderation.get("learning")
    return not (isinstance(section, dict) and section.get("enabled", True) is False)


def learn_job(
    site: Site, comment: Comment, previous: CommentStatus, now: datetime
) -> NewJob | None:
    """The job that learns this decision, or ``None`` when it teaches nothing."""
    status = comment.status
    approved = status is CommentStatus.PUBLISHED and previous is not CommentStatus.PUBLISHED
    removed = status in _REMOVED and previous not in _REMOVED
    if not (approved or removed) or not learning_on(site):
        return None
    stamp = int(now.timestamp() * 1_000_000)
    return NewJob(
        LEARN_JOB, {"comment": comment.id}, f"{LEARN_JOB}:{comment.id}:{status.value}:{stamp}"
    )
