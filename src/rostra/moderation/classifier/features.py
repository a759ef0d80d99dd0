"""Text features shared by the classifier runtime and its training script.

Only the standard library is used here so that training (which may use
scikit-learn) and serving (numpy only) hash exactly the same n-grams.
"""

from __future__ import annotations

import math
import re
import zlib
from typing import Final

from rostra.moderation.normalize import normalize

__all__ = ["ENCODER_MAX_CHARS", "MAX_CHARS", "encoder_text", "hashed_ngrams", "model_text"]

#: Comments are truncated to this many characters before scoring: the start of
#: a long rant carries the signal and cost stays bounded.
MAX_CHARS: Final = 1500
#: The sentence encoder costs ~4.5 ms per 100 characters on one core, so it only
#: reads the beginning of a comment; the n-gram model reads ``MAX_CHARS``.
ENCODER_MAX_CHARS: Final = 300

_WORD_RE: Final = re.compile(r"\w+", re.UNICODE)
_MASK_RE: Final = re.compile(r"@user\b|@url\b|\burl\b|\bemail\b", re.IGNORECASE)


def model_text(text: str, normalized: str | None = None) -> str:
    """Canonical text for the n-gram model: evasion-normalised, masks removed.

    ``normalized`` may pass ``normalize(text[:MAX_CHARS])`` if already computed.
    """
    norm = normalized if normalized is not None else normalize(text[:MAX_CHARS])
    return _MASK_RE.sub(" ", norm).strip()


def encoder_text(text: str) -> str:
    """Light normalisation for the sentence encoder (keeps case and accents)."""
    t = normalize(text[:ENCODER_MAX_CHARS], lowercase=False, accents=False, max_run=3)
    return _MASK_RE.sub(" ", t).strip() or "."


def hashed_ngrams(
    text: str, n_bits: int, char_orders: tuple[int, ...] = (2, 3, 4, 5)
) -> dict[int, float]:
    """Hashed, log-scaled and L2-normalised character and word n-gram counts.

    ``text`` should already be :func:`model_text` output.  Character n-grams
    are taken inside word boundaries (each word padded with spaces), word
    unigrams and bigrams are added with their own prefixes.  Feature indices are
    ``crc32(ngram) mod 2**n_bits``.
    """
    mask = (1 << n_bits) - 1
    counts: dict[int, float] = {}
    crc = zlib.crc32
    words = _WORD_RE.findall(text)
    for w in words:
        padded = f" {w} "
        b = len(padded)
        for n in char_orders:
            if n > b:
                break
            for i in range(b - n + 1):
                h = crc(padded[i : i + n].encode()) & mask
                counts[h] = counts.get(h, 0.0) + 1.0
        h = crc(("w:" + w).encode()) & mask
        counts[h] = counts.get(h, 0.0) + 1.0
    for a, c in zip(words, words[1:], strict=False):
        h = crc(f"b:{a} {c}".encode()) & mask
        counts[h] = counts.get(h, 0.0) + 1.0
    if not counts:
        return {}
    norm = 0.0
    for k, v in counts.items():
        lv = 1.0 + math.log(v)
        counts[k] = lv
        norm += lv * lv
    inv = 1.0 / math.sqrt(norm)
    return {k: v * inv for k, v in counts.items()}
