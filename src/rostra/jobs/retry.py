"""When a failed job runs again: exponential backoff with jitter, and when it stops trying.

The n-th failure waits ``base * 2**(n-1)`` seconds, capped at ``max``, then a random share of
that between a half and all of it, so jobs that failed together (an SMTP server down) do not all
come back in the same second. After ``max_attempts`` claims a job is dead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: int = 10
    max_seconds: int = 3600
    max_attempts: int = 8

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after the ``attempt``-th claim failed (1 for the first)."""
        ceiling = min(float(self.max_seconds), self.base_seconds * 2.0 ** max(0, attempt - 1))
        return ceiling * rng.uniform(0.5, 1.0)

    def next_run(self, attempt: int, now: datetime, rng: random.Random) -> datetime | None:
        """When to run again after the ``attempt``-th claim failed; ``None``: dead."""
        if attempt >= self.max_attempts:
            return None
        return now + timedelta(seconds=self.delay(attempt, rng))
