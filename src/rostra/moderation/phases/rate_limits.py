"""Rate limits: how many comments one reader, one client address or one thread may receive.

Fixed windows counted in the shared state (so every worker process sees the same counts). The
client address is only ever seen as a keyed hash, and only when the web layer derived it through
the trusted-proxy rule; see :class:`rostra.moderation.moderator.PipelineModerator`. A comment over
a limit is not stored at all: the author gets "too many requests" and keeps their text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from rostra.domain.errors import N_
from rostra.moderation.phases import _config as c
from rostra.moderation.record import Action, ModerationRecord, Submission, Verdict
from rostra.moderation.state import ModerationState

MINUTE = 60
HOUR = 3600


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """Limits per window; 0 switches one off."""

    enabled: bool = True
    reader_per_minute: int = 6
    reader_per_hour: int = 60
    address_per_minute: int = 20
    address_per_hour: int = 300
    thread_per_minute: int = 300

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> RateLimitConfig:
        where = "rate_limits"
        names = [n for n in cls.__dataclass_fields__ if n != "enabled"]
        c.check_keys(data, where, {"enabled", *names})
        values = {n: c.integer(data, n, where, getattr(cls(), n), 0, 1_000_000) for n in names}
        return cls(enabled=c.flag(data, "enabled", where, True), **values)


class RateLimits:
    name = "rate_limits"

    def __init__(self, config: RateLimitConfig, state: ModerationState) -> None:
        self.config = config
        self.state = state

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        cfg = self.config
        if not cfg.enabled or submission.is_edit:
            # Edits are bounded by the edit window; limits are about new comments.
            return None
        site = submission.site_id
        checks: list[tuple[str, int, int, str]] = []
        if submission.author_key:
            key = f"r:{site}:{submission.author_key}"
            checks.append((key, MINUTE, cfg.reader_per_minute, "this reader, per minute"))
            checks.append((key, HOUR, cfg.reader_per_hour, "this reader, per hour"))
        if submission.client_key:
            key = f"a:{site}:{submission.client_key}"
            checks.append((key, MINUTE, cfg.address_per_minute, "this address, per minute"))
            checks.append((key, HOUR, cfg.address_per_hour, "this address, per hour"))
        if submission.thread:
            # Thread ids may be long; the key only needs to tell them apart.
            digest = hashlib.blake2b(submission.thread.encode(), digest_size=12).hexdigest()
            key = f"t:{site}:{digest}"
            checks.append((key, MINUTE, cfg.thread_per_minute, "this thread, per minute"))
        checks = [x for x in checks if x[2] > 0]
        if not checks:
            return None
        # The window length is part of the key: a minute and an hour may start at the same second.
        keys = [(f"{key}/{window}", window) for key, window, _, _ in checks]
        counts = self.state.hit(keys, submission.now)
        stamp = int(submission.now.timestamp())
        for (_, window, limit, what), count in zip(checks, counts, strict=True):
            if count > limit:
                record.facts["rate_limited"] = what
                return Verdict(
                    Action.REJECT,
                    f"more than {limit} comments from {what}",
                    message=N_("You are posting too fast. Wait a moment, then try again."),
                    retry_after=max(1, window - stamp % window),
                )
        return None
