"""The author's history: recent rejections send an author's next comments to review.

Also records whether this is the author's first comment on the site (no published comment yet),
which the "first-time commenters" pre-moderation mode uses. A guest without a reader token has no
history: every comment of theirs is a first one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from rostra.moderation.phases import _config as c
from rostra.moderation.record import Action, ModerationRecord, Submission, Verdict
from rostra.moderation.state import ModerationState


@dataclass(frozen=True, slots=True)
class HistoryConfig:
    enabled: bool = True
    window_days: float = 30.0
    #: This many rejected comments in the window hold the author's next ones (0: never).
    max_rejections: int = 2

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> HistoryConfig:
        where = "history"
        c.check_keys(data, where, {"enabled", "window_days", "max_rejections"})
        return cls(
            enabled=c.flag(data, "enabled", where, True),
            window_days=c.number(data, "window_days", where, 30.0, 0.01, 3650),
            max_rejections=c.integer(data, "max_rejections", where, 2, 0, 10_000),
        )


class History:
    name = "history"

    def __init__(self, config: HistoryConfig, state: ModerationState) -> None:
        self.config = config
        self.state = state

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        author = submission.author_key
        if author is None:
            record.facts["first_time"] = True
            return None
        since = submission.now - timedelta(days=self.config.window_days)
        past = self.state.history(submission.site_id, author, since)
        record.facts["first_time"] = past.published == 0
        record.facts["recent_rejections"] = past.rejected
        limit = self.config.max_rejections
        if self.config.enabled and limit and past.rejected >= limit:
            return Verdict(
                Action.HOLD,
                f"the author had {past.rejected} comments rejected in the last "
                f"{self.config.window_days:g} days",
            )
        return None
