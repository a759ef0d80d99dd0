"""What the phases remember between comments, behind one small protocol.

Rate-limit counters, fingerprints of recent texts (for repeats and near-duplicates), each
author's recent history, and the examples a site's moderators' decisions left
(:class:`LearntMemory`, read by ``rostra.moderation.learning``). :class:`ModerationState` is what
the phases read (and how an attempt refused for its rate limits is counted); what moderation
keeps about a stored comment travels in its decision
(:class:`rostra.services.moderation_port.ModerationMemory`) and is written in the comment's own
transaction. :class:`MemoryState` keeps all of it in this process (the batch
command, unit tests); ``rostra.storage.moderation.SqlModerationState`` keeps it in the database,
so every worker process and machine shares it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from rostra.domain.models import CommentStatus
from rostra.moderation.record import Action
from rostra.services.moderation_port import Fingerprint, ModerationMemory

__all__ = [
    "AuthorHistory",
    "Fingerprint",
    "LearntExample",
    "LearntMemory",
    "MemoryState",
    "ModerationState",
    "StoredFingerprint",
]

#: How a stored comment's status reads as an outcome of moderation.
OUTCOMES = {
    CommentStatus.PUBLISHED: Action.PUBLISH,
    CommentStatus.PENDING: Action.HOLD,
    CommentStatus.REJECTED: Action.REJECT,
    CommentStatus.SPAM: Action.REJECT,
}


@dataclass(frozen=True, slots=True)
class StoredFingerprint:
    """A fingerprint remembered for one earlier comment."""

    fingerprint: Fingerprint
    reader_key: str | None
    comment_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuthorHistory:
    """An author's record on one site: ``published`` ever, the others since the window start."""

    published: int = 0
    held: int = 0
    rejected: int = 0


class ModerationState(Protocol):
    """The memory the moderation phases share across requests."""

    def counts(self, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]:
        """Each ``(key, window seconds)``'s count so far in its current fixed window, in the
        order of ``keys``, counting nothing."""
        ...

    def hit(self, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]:
        """Count one event under each ``(key, window seconds)`` in its current fixed window.

        Returns each window's count including this event, in the order of ``keys``.
        """
        ...

    def similar(
        self,
        site_id: int,
        probe: Fingerprint,
        since: datetime,
        exclude_comment: int | None = None,
        limit: int = 50,
    ) -> list[StoredFingerprint]:
        """Fingerprints since ``since`` that share the exact hash or at least one band key."""
        ...

    def recent_by_author(
        self,
        site_id: int,
        reader_key: str,
        since: datetime,
        exclude_comment: int | None = None,
        limit: int = 100,
    ) -> list[StoredFingerprint]:
        """The author's own fingerprints since ``since``, newest first."""
        ...

    def history(self, site_id: int, author_key: str, since: datetime) -> AuthorHistory: ...


@dataclass(frozen=True, slots=True)
class LearntExample:
    """One decided comment as stored: the label, its signature (:func:`encode_signature`) and
    the toxicity the shared model gave it (``None`` when unknown)."""

    label: str
    signature: str
    toxicity: float | None


@runtime_checkable
class LearntMemory(Protocol):
    """Where a site's examples are read from (``rostra.storage`` and :class:`MemoryState`; see
    ``rostra.moderation.learning``)."""

    def learnt_version(self, site_id: int) -> tuple[int, int]:
        """A value that changes whenever the site's examples change (cheap to ask)."""
        ...

    def learnt_examples(self, site_id: int, limit: int) -> list[LearntExample]:
        """The site's ``limit`` most recent examples."""
        ...


@dataclass
class _Outcome:
    action: Action
    at: datetime


@dataclass
class MemoryState:
    """In-process state: exact, unbounded by time (old entries are dropped lazily)."""

    max_fingerprints: int = 200_000
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _counters: dict[tuple[str, int], int] = field(default_factory=dict, repr=False)
    _prints: list[tuple[int, StoredFingerprint]] = field(default_factory=list, repr=False)
    _by_key: dict[tuple[int, str], list[int]] = field(
        default_factory=lambda: defaultdict(list), repr=False
    )
    _by_author: dict[tuple[int, str], list[int]] = field(
        default_factory=lambda: defaultdict(list), repr=False
    )
    _outcomes: dict[tuple[int, str], list[_Outcome]] = field(
        default_factory=lambda: defaultdict(list), repr=False
    )
    #: Learnt examples per site, by the comment they were made from (insertion order = age).
    _learnt: dict[int, dict[object, LearntExample]] = field(
        default_factory=lambda: defaultdict(dict), repr=False
    )
    _learnt_writes: int = field(default=0, repr=False)

    def counts(self, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]:
        stamp = int(now.timestamp())
        with self._lock:
            return [self._counters.get((key, stamp - stamp % window), 0) for key, window in keys]

    def hit(self, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]:
        stamp = int(now.timestamp())
        out = []
        with self._lock:
            for key, window in keys:
                slot = (key, stamp - stamp % window)
                self._counters[slot] = self._counters.get(slot, 0) + 1
                out.append(self._counters[slot])
        return out

    def similar(
        self,
        site_id: int,
        probe: Fingerprint,
        since: datetime,
        exclude_comment: int | None = None,
        limit: int = 50,
    ) -> list[StoredFingerprint]:
        found: dict[int, StoredFingerprint] = {}
        with self._lock:
            for key in (probe.exact, *probe.bands):
                for index in self._by_key.get((site_id, key), ()):
                    stored = self._prints[index][1]
                    if stored.created_at < since:
                        continue
                    if exclude_comment is not None and stored.comment_id == exclude_comment:
                        continue
                    found[index] = stored
        # Newest first, as the database version answers.
        return [found[i] for i in sorted(found, reverse=True)][:limit]

    def recent_by_author(
        self,
        site_id: int,
        reader_key: str,
        since: datetime,
        exclude_comment: int | None = None,
        limit: int = 100,
    ) -> list[StoredFingerprint]:
        with self._lock:
            indexes = list(self._by_author.get((site_id, reader_key), ()))
            found = [self._prints[i][1] for i in reversed(indexes)]
        kept = [s for s in found if s.created_at >= since]
        if exclude_comment is not None:
            kept = [s for s in kept if s.comment_id != exclude_comment]
        return kept[:limit]

    def remember(
        self,
        site_id: int,
        reader_key: str | None,
        fingerprint: Fingerprint,
        comment_id: int | None,
        at: datetime,
    ) -> None:
        with self._lock:
            if len(self._prints) >= self.max_fingerprints:
                # A crude bound for long batch runs: start afresh rather than grow forever.
                self._prints.clear()
                self._by_key.clear()
                self._by_author.clear()
            index = len(self._prints)
            stored = StoredFingerprint(fingerprint, reader_key, comment_id, at)
            self._prints.append((site_id, stored))
            for key in (fingerprint.exact, *fingerprint.bands):
                self._by_key[(site_id, key)].append(index)
            if reader_key is not None:
                self._by_author[(site_id, reader_key)].append(index)

    def remember_moderation(self, memory: ModerationMemory, comment_id: int | None) -> None:
        """Keep what a decision wants kept about a stored comment, as a store's write
        transaction does: its counters, its fingerprint and its outcome."""
        if memory.counts:
            self.hit([(c.key, c.window) for c in memory.counts], memory.at)
        if memory.fingerprint is not None:
            self.remember(
                memory.site_id, memory.author_key, memory.fingerprint, comment_id, memory.at
            )
        if memory.author_key is not None:
            self.note_outcome(
                memory.site_id, memory.author_key, OUTCOMES[memory.outcome], memory.at
            )

    def history(self, site_id: int, author_key: str, since: datetime) -> AuthorHistory:
        with self._lock:
            outcomes = list(self._outcomes.get((site_id, author_key), ()))
        recent = [o for o in outcomes if o.at >= since]
        return AuthorHistory(
            published=sum(o.action is Action.PUBLISH for o in outcomes),
            held=sum(o.action is Action.HOLD for o in recent),
            rejected=sum(o.action is Action.REJECT for o in recent),
        )

    def note_outcome(self, site_id: int, author_key: str, action: Action, at: datetime) -> None:
        with self._lock:
            self._outcomes[(site_id, author_key)].append(_Outcome(action, at))

    # -- learnt examples (rostra.moderation.learning.LearntMemory) ---------------------------
    def learn(self, site_id: int, comment: object, example: LearntExample) -> None:
        """File ``example`` under ``site_id`` for ``comment`` (a later decision replaces it)."""
        with self._lock:
            site = self._learnt[site_id]
            site.pop(comment, None)
            site[comment] = example
            self._learnt_writes += 1

    def forget(self, site_id: int, comment: object) -> None:
        with self._lock:
            if self._learnt[site_id].pop(comment, None) is not None:
                self._learnt_writes += 1

    def learnt_version(self, site_id: int) -> tuple[int, int]:
        with self._lock:
            return len(self._learnt.get(site_id, ())), self._learnt_writes

    def learnt_examples(self, site_id: int, limit: int) -> list[LearntExample]:
        with self._lock:
            found = list(self._learnt.get(site_id, {}).values())
        return found[-limit:][::-1]
