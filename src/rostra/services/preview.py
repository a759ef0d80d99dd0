"""Comment preview: the reader's Markdown through the very renderer posting uses, nothing stored.

The text is checked as a comment's would be (empty, too long for the site) so a preview never
shows what posting would refuse for its length. Previews are cheap but not free (about 10 ms for
the longest comment), so each client address gets a fixed number a minute.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rostra.domain import rules
from rostra.domain.errors import N_, TooManyRequests
from rostra.domain.models import Site
from rostra.services.formatting import render_markdown
from rostra.services.tokens import address_hash


def preview_html(site: Site, body: str) -> str:
    """The HTML ``body`` would be shown as, once posted on ``site``."""
    return render_markdown(rules.validate_body(body, site.settings))


@dataclass
class PreviewLimiter:
    """At most ``per_minute`` previews per client address in each minute.

    Kept in the worker's memory: a preview changes nothing, so a limit that is per process
    (and forgets on restart) is enough to keep one client from keeping a worker busy. Addresses
    are held only as keyed hashes, under a key made for this limiter; a loopback address (a
    proxy not listed as trusted, speaking for every reader) is not limited, as elsewhere.
    """

    per_minute: int = 60
    max_keys: int = 50_000
    clock: Callable[[], float] = time.monotonic
    _key: bytes = field(default_factory=lambda: os.urandom(32))
    _window: int = -1
    _counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, address: str | None) -> None:
        key = address_hash(self._key, address)
        if key is None:
            return
        window = int(self.clock() // 60)
        with self._lock:
            if window != self._window or len(self._counts) >= self.max_keys:
                self._window, self._counts = window, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        if count > self.per_minute:
            raise TooManyRequests(
                N_("You are asking for previews too fast. Wait a moment, then try again."),
                code="rate-limited",
            )
