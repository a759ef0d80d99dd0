"""Whether this process is answering requests: one in flight, or one ended a moment ago.

The edge (``rostra.web.edge.EdgeGuard``, the outermost layer of ``rostra serve``'s app) counts
each request from its start to its last byte, or its failure, and notes when the last one ended.
The in-process jobs runner asks ``busy`` before each batch and lets the batch wait for a quiet
moment (``rostra.jobs.runner``), so mails and webhooks give way to readers. "A moment ago"
matters: under steady traffic the count touches zero between two requests many times a second,
and a runner that took each of those instants would run all the time; ``QUIET_SECONDS`` with no
request is a real pause. The count changes on the event loop only; the runner's thread reads it.
"""

from __future__ import annotations

import time

QUIET_SECONDS = 0.02


class InFlight:
    """The count of HTTP requests under way, and when the last one ended."""

    def __init__(self) -> None:
        self.count = 0
        self.last_end = 0.0  # time.monotonic() of the last request's end

    def started(self) -> None:
        self.count += 1

    def ended(self) -> None:
        self.count -= 1
        self.last_end = time.monotonic()

    def busy(self) -> bool:
        """Whether a request is under way or one ended less than ``QUIET_SECONDS`` ago."""
        return self.count > 0 or time.monotonic() - self.last_end < QUIET_SECONDS
