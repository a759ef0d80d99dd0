"""Rate limits: how many comments one reader, one client address or one thread may receive.

Fixed windows counted in the shared state (so every worker process sees the same counts). The
client address is only ever seen as a keyed hash, and only when the web layer derived it through
the trusted-proxy rule; see :class:`rostra.moderation.moderator.PipelineModerator`. A comment over
a limit is not stored at all: the author gets "too many requests" and keeps their text.

Three rules keep one client from locking a thread for everyone else:

- A write without a reader token (the server mints one for it) proves no reader, so its fresh
  reader key is not counted; it is counted instead in a tight "anonymous" bucket per site and
  address, a loopback or unknown address included (there all token-less writers share one).
- The per-thread limit is shared fairly: one source (the address when it is known, otherwise the
  reader, otherwise the anonymous bucket) may use at most ``thread_share_percent`` of it.
- Only comments that passed their own source's limits are counted against the thread, so a
  client hammering away after its refusal uses up nothing that belongs to others.

Behind the services (``Submission.deferred_counts``), a comment the limits let through is counted
in its own transaction, with the comment (which checks the counters again there); a refused one is
counted at once, as nothing else of it is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from rostra.domain.errors import N_
from rostra.moderation.phases import _config as c
from rostra.moderation.record import Action, ModerationRecord, Submission, Verdict
from rostra.moderation.state import ModerationState
from rostra.services.moderation_port import RateCount

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
    # Writes that came without a reader token, per site and address (loopback included).
    anonymous_per_minute: int = 5
    anonymous_per_hour: int = 30
    thread_per_minute: int = 300
    # The most of a thread's per-minute budget that one source may use, in percent.
    thread_share_percent: int = 10

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> RateLimitConfig:
        where = "rate_limits"
        names = [n for n in cls.__dataclass_fields__ if n != "enabled"]
        c.check_keys(data, where, {"enabled", *names})
        values = {n: c.integer(data, n, where, getattr(cls(), n), 0, 1_000_000) for n in names}
        values["thread_share_percent"] = c.integer(
            data, "thread_share_percent", where, cls().thread_share_percent, 1, 100
        )
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
        # First the limits of the comment's own source: reader, address, anonymous bucket.
        checks: list[tuple[str, int, int, str]] = []
        if submission.author_key and not submission.anonymous:
            key = f"r:{site}:{submission.author_key}"
            checks.append((key, MINUTE, cfg.reader_per_minute, "this reader, per minute"))
            checks.append((key, HOUR, cfg.reader_per_hour, "this reader, per hour"))
        if submission.client_key:
            key = f"a:{site}:{submission.client_key}"
            checks.append((key, MINUTE, cfg.address_per_minute, "this address, per minute"))
            checks.append((key, HOUR, cfg.address_per_hour, "this address, per hour"))
        if submission.anonymous:
            # Loopback and unknown addresses have no key: every token-less writer there (a local
            # proxy not listed in trusted_proxies, the demo) shares the one "local" bucket.
            key = f"n:{site}:{submission.client_key or 'local'}"
            checks.append(
                (key, MINUTE, cfg.anonymous_per_minute, "writers without a token, per minute")
            )
            checks.append((key, HOUR, cfg.anonymous_per_hour, "writers without a token, per hour"))
        thread_key = ""
        if submission.thread and cfg.thread_per_minute > 0:
            # Thread ids may be long; the key only needs to tell them apart.
            digest = hashlib.blake2b(submission.thread.encode(), digest_size=12).hexdigest()
            thread_key = f"t:{site}:{digest}"
            source = self._source(submission)
            if source:
                share = max(1, cfg.thread_per_minute * cfg.thread_share_percent // 100)
                what = "one source in this thread, per minute"
                checks.append((f"{thread_key}:{source}", MINUTE, share, what))
        verdict = self._count(checks, submission, record, 0)
        if verdict is not None or not thread_key:
            return verdict
        # Then the thread's own budget, only for a comment its source was allowed to send.
        thread = [(thread_key, MINUTE, cfg.thread_per_minute, "this thread, per minute")]
        return self._count(thread, submission, record, 1)

    @staticmethod
    def _source(submission: Submission) -> str:
        """Who a comment comes from, for the thread's fair share."""
        if submission.client_key:
            return f"a:{submission.client_key}"
        if submission.anonymous:
            return "n:local"
        return f"r:{submission.author_key}" if submission.author_key else ""

    def _count(
        self,
        checks: list[tuple[str, int, int, str]],
        submission: Submission,
        record: ModerationRecord,
        stage: int,
    ) -> Verdict | None:
        checks = [x for x in checks if x[2] > 0]
        if not checks:
            return None
        # The window length is part of the key: a minute and an hour may start at the same second.
        keys = [(f"{key}/{window}", window) for key, window, _, _ in checks]
        deferred = submission.deferred_counts
        if deferred is None:
            counts = self.state.hit(keys, submission.now)
        else:
            # Read only: the comment's transaction counts a comment let through (and checks again).
            counts = [n + 1 for n in self.state.counts(keys, submission.now)]
            limits = [limit for _, _, limit, _ in checks]
            if all(n <= limit for n, limit in zip(counts, limits, strict=True)):
                deferred.extend(
                    RateCount(key, window, limit, stage)
                    for (key, window), limit in zip(keys, limits, strict=True)
                )
                return None
            # Refused: nothing else of it is stored, so it counts now, with the stage it passed.
            passed = [(c.key, c.window) for c in deferred]
            counts = self.state.hit([*passed, *keys], submission.now)[len(passed) :]
            deferred.clear()
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
