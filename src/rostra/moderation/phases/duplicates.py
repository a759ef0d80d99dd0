"""Repeats and near-duplicates: the same text again, from the same reader or anywhere on the site.

Texts are compared by a matching key: :func:`rostra.moderation.normalize.skeleton` (case,
accents, look-alike letters, punctuation and repeated letters do not count) with leetspeak digits
read as letters. Exact repeats are found by a hash of the key. Near-duplicates (a word changed or
dropped, a typo, a line added) by MinHash: 128 hash functions over the set of character 4-grams;
the share of equal positions in two signatures estimates the Jaccard similarity of the two sets.
A text counts as a near-duplicate of another from ``similarity`` (0.5 by default; distinct
comments on the same subject stay below 0.25). The same reader's recent comments are all compared;
other readers' are found through 32 LSH bands of 4 (texts sharing a band are candidates). For the
same reader, a text that contains nearly all of an earlier one (a re-post with a line added) counts
too. Only hashes, band keys and signatures are stored, never text.

Short texts repeat innocently ("Thank you!", "Agreed."), so a repeat from another reader counts
only for texts of ``min_chars_site`` characters or more, and from the same reader for
``min_chars_reader`` or more.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from rostra.domain.errors import N_
from rostra.moderation.phases import _config as c
from rostra.moderation.record import Action, ModerationRecord, Submission, Verdict
from rostra.moderation.state import Fingerprint, ModerationState, StoredFingerprint

SHINGLE: Final = 4
PERMUTATIONS: Final = 128
BANDS: Final = 32
ROWS: Final = PERMUTATIONS // BANDS
_PRIME: Final = (1 << 31) - 1
# Fixed seeds: signatures are stored, so they must not change between processes or releases.
_RNG = np.random.default_rng(0x5EED_2026_0004)
_A: Final = _RNG.integers(1, _PRIME, size=PERMUTATIONS, dtype=np.int64)
_B: Final = _RNG.integers(0, _PRIME, size=PERMUTATIONS, dtype=np.int64)
#: Texts longer than this are fingerprinted on their start (bounded cost on huge bodies).
MAX_CHARS: Final = 5000


_LEET: Final = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
)
_REPEATS: Final = re.compile(r"(.)\1+")
#: A re-post by the same reader that contains this much of an earlier text counts as a repeat...
CONTAINMENT: Final = 0.9
#: ... unless it is more than this many times longer (then it quotes rather than repeats).
CONTAINMENT_RATIO: Final = 2.5


def key_of(text_skeleton: str) -> str:
    """The matching key from a text's skeleton: leet digits read as letters, runs collapsed."""
    return _REPEATS.sub(r"\1", text_skeleton[: MAX_CHARS * 2].translate(_LEET))[:MAX_CHARS]


def shingles(key: str) -> npt.NDArray[np.int64]:
    """Hashes of the distinct character 4-grams of ``key`` (the whole key when shorter)."""
    if len(key) <= SHINGLE:
        grams = {key}
    else:
        grams = {key[i : i + SHINGLE] for i in range(len(key) - SHINGLE + 1)}
    crc = zlib.crc32
    return np.fromiter((crc(g.encode()) for g in grams), dtype=np.int64, count=len(grams))


def signature(key: str) -> tuple[int, ...]:
    """The MinHash signature of ``key``: per hash function, the least value over its 4-grams."""
    return _minhash(shingles(key))


def _minhash(grams: npt.NDArray[np.int64]) -> tuple[int, ...]:
    x = grams % _PRIME
    values = (_A[:, None] * x[None, :] + _B[:, None]) % _PRIME
    return tuple(int(v) for v in values.min(axis=1))


def fingerprint(key: str) -> Fingerprint:
    key = key[:MAX_CHARS]
    exact = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    grams = shingles(key)
    sig = _minhash(grams)
    bands = []
    for b in range(BANDS):
        chunk = sig[b * ROWS : (b + 1) * ROWS]
        digest = hashlib.blake2b(
            b"".join(v.to_bytes(4, "little") for v in chunk), digest_size=8
        ).hexdigest()
        bands.append(f"{b:02d}{digest}")
    return Fingerprint(exact=exact, signature=sig, bands=tuple(bands), size=len(grams))


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two texts' 4-gram sets."""
    if len(a) != len(b) or not a:
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Estimated share of the smaller 4-gram set found in the larger one."""
    small = min(size_a, size_b)
    if small <= 0:
        return 0.0
    return min(1.0, jaccard * (size_a + size_b) / ((1.0 + jaccard) * small))


@dataclass(frozen=True, slots=True)
class DuplicateConfig:
    enabled: bool = True
    window_hours: float = 48.0
    #: Estimated 5-gram Jaccard similarity from which two texts count as the same.
    similarity: float = 0.5
    min_chars_reader: int = 10
    min_chars_site: int = 50
    #: Compare with other readers' comments too (copy-and-paste campaigns), not only the author's.
    site_wide: bool = True

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> DuplicateConfig:
        where = "duplicates"
        c.check_keys(data, where, set(cls.__dataclass_fields__))
        return cls(
            enabled=c.flag(data, "enabled", where, True),
            # At most the fingerprints' retention (rostra.storage.moderation.RETENTION).
            window_hours=c.number(data, "window_hours", where, 48.0, 0.01, 24 * 14),
            similarity=c.number(data, "similarity", where, 0.5, 0.3, 1.0),
            min_chars_reader=c.integer(data, "min_chars_reader", where, 10, 1, 10_000),
            min_chars_site=c.integer(data, "min_chars_site", where, 50, 1, 10_000),
            site_wide=c.flag(data, "site_wide", where, True),
        )


def matching_key(submission: Submission) -> str:
    return key_of(submission.skeleton)


def fingerprint_of(submission: Submission) -> Fingerprint | None:
    """The submission's fingerprint (``None`` for a text with no words), computed once."""
    if "fingerprint" not in submission.cache:
        key = matching_key(submission)
        submission.cache["fingerprint"] = fingerprint(key) if key else None
    found = submission.cache["fingerprint"]
    return found if isinstance(found, Fingerprint) else None


class Duplicates:
    name = "duplicates"

    def __init__(self, config: DuplicateConfig, state: ModerationState) -> None:
        self.config = config
        self.state = state

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        cfg = self.config
        if not cfg.enabled:
            return None
        key = matching_key(submission)
        size = len(key)
        mine = submission.author_key
        if size < cfg.min_chars_reader or (size < cfg.min_chars_site and mine is None):
            return None
        probe = fingerprint_of(submission)
        if probe is None:
            return None
        since = submission.now - timedelta(hours=cfg.window_hours)
        candidates: dict[tuple[object, ...], StoredFingerprint] = {}
        if size >= cfg.min_chars_site and cfg.site_wide:
            for stored in self.state.similar(
                submission.site_id, probe, since, exclude_comment=submission.comment_id
            ):
                candidates[_identity(stored)] = stored
        if mine is not None:
            for stored in self.state.recent_by_author(
                submission.site_id, mine, since, exclude_comment=submission.comment_id
            ):
                candidates[_identity(stored)] = stored
        best: tuple[bool, float, bool] | None = None  # (exact, similarity, same reader)
        for stored in candidates.values():
            same = mine is not None and stored.reader_key == mine
            if not same and (not cfg.site_wide or size < cfg.min_chars_site):
                continue
            old = stored.fingerprint
            exact = old.exact == probe.exact
            sim = 1.0 if exact else similarity(old.signature, probe.signature)
            match = sim >= cfg.similarity
            if not match and same and old.size and probe.size:
                # A re-post with a line added, or cut short: one text holds nearly all the other.
                ratio = max(old.size, probe.size) / min(old.size, probe.size)
                contained = containment(sim, old.size, probe.size)
                match = contained >= CONTAINMENT and ratio <= CONTAINMENT_RATIO
            if not match:
                continue
            if best is None or (exact, sim, same) > best:
                best = (exact, sim, same)
        if best is None:
            return None
        exact, sim, same = best
        record.scores["similarity"] = sim
        record.facts["duplicate_of"] = "same reader" if same else "another reader"
        if same and exact:
            return Verdict(
                Action.REJECT,
                "repeats a comment this reader posted recently",
                message=N_("You have already posted this comment."),
            )
        who = "this reader" if same else "another reader"
        kind = "repeats" if exact else f"nearly repeats ({sim:.0%} alike)"
        return Verdict(Action.HOLD, f"{kind} a recent comment by {who}")


def _identity(stored: StoredFingerprint) -> tuple[object, ...]:
    return (stored.comment_id, stored.created_at, stored.fingerprint.exact, stored.reader_key)
