"""A per-minute limit on cheap requests that change nothing durable, per hashed client address.

Previews and new reader tokens are cheap, but a client asking for thousands would keep a worker
busy or mint itself a fresh per-reader rate-limit bucket for every comment. Each limiter is kept
in the worker's memory: a limit that is per process, and forgets on restart, is enough for
requests that store nothing (so it costs no database write). Addresses are held only as keyed
hashes, under a key made for that limiter; a loopback address (a proxy not listed as trusted,
speaking for every reader) is not limited, as elsewhere in Rostra.

A limiter counts minutes by its ``clock`` (seconds): the monotonic clock in a worker, a clock a
test moves where it checks that a limit lets go once its minute has passed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rostra.domain.errors import N_, TooManyRequests
from rostra.services.tokens import address_hash


@dataclass
class AddressLimiter:
    """At most ``per_minute`` requests per client address in each minute; the next one raises
    :class:`TooManyRequests` with ``message`` (a message id)."""

    per_minute: int
    message: str
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
            # A new minute, or a table grown past its bound (a spray of addresses), starts over.
            if window != self._window or len(self._counts) >= self.max_keys:
                self._window, self._counts = window, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        if count > self.per_minute:
            raise TooManyRequests(self.message, code="rate-limited")


def preview_limiter(clock: Callable[[], float] = time.monotonic) -> AddressLimiter:
    """A worker's limit on comment previews: 60 a minute for each client address."""
    return AddressLimiter(
        per_minute=60,
        message=N_("You are asking for previews too fast. Wait a moment, then try again."),
        clock=clock,
    )


def new_reader_limiter(clock: Callable[[], float] = time.monotonic) -> AddressLimiter:
    """A worker's limit on new reader tokens: 10 a minute for each client address.

    A reader needs one token per browser (the embed keeps it), so 10 leaves room for a household
    or an office behind one address while a script cannot give each comment its own token.
    """
    return AddressLimiter(
        per_minute=10,
        message=N_("Too many new readers from your address. Wait a minute, then try again."),
        clock=clock,
    )


def subscribe_limiter(clock: Callable[[], float] = time.monotonic) -> AddressLimiter:
    """A worker's limit on "notify me of" requests without a comment: 20 a minute for each
    client address, before the service's own limits (per reader, client and target address,
    kept in the database) are even asked."""
    return AddressLimiter(
        per_minute=20,
        message=N_("Too many subscription requests. Wait a minute, then try again."),
        clock=clock,
    )
