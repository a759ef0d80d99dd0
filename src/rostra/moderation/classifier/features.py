"""Text features shared by the classifier runtime and its training script.

Only the standard library is used here so that training (which may use
scikit-learn) and serving (numpy only) hash exactly the same n-grams.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from typing import Final

from rostra.moderation.normalize import normalize

__all__ = [
    "ENCODER_MAX_CHARS",
    "ENCODER_WINDOWS",
    "LONG_WINDOW_CHARS",
    "MAX_CHARS",
    "WINDOW_CHARS",
    "encoder_text",
    "hashed_ngrams",
    "model_text",
    "windows",
]

#: The whole comment is read, up to this many characters (a site's longest comment by default,
#: ``Site.max_body_chars``): the n-gram model scores every window of it.
MAX_CHARS: Final = 10_000
#: A comment of at most this many characters is one window, read whole, as the model was
#: trained (most comments are).
WINDOW_CHARS: Final = 300
#: A longer one is cut into windows of at most this many characters, at sentence ends where it
#: can be (else at a space): short enough that one abusive sentence is not drowned by the civil
#: ones around it. On long comments made of written comments (one abusive among civil ones, or
#: all civil; training/long_comments.py), with rostra-toxicity-v1.1, 200 gave ROC-AUC 0.758
#: against 0.711 for 300 and 0.755 for 150, whose short windows score civil sentences higher.
LONG_WINDOW_CHARS: Final = 200
#: The sentence encoder reads one window at a time (~1.5 ms + 1.3 ms per 100 characters on
#: one core), so it reads at most this many windows of a long comment: the first and those the
#: n-gram model scores highest. It never reads more than this many characters in one text.
ENCODER_MAX_CHARS: Final = WINDOW_CHARS
ENCODER_WINDOWS: Final = 4

# A sentence ends after . ! ? (Latin, Arabic, CJK) or an ellipsis, before white space; a line
# break always ends one.
_SENTENCE_END_RE: Final = re.compile(r"(?<=[.!?\u061f\u3002\u2026])\s+|\s*\n\s*")

_WORD_RE: Final = re.compile(r"\w+", re.UNICODE)
_MASK_RE: Final = re.compile(r"@user\b|@url\b|\burl\b|\bemail\b", re.IGNORECASE)


def model_text(text: str, normalized: str | None = None) -> str:
    """Canonical text for the n-gram model: evasion-normalised, masks removed.

    ``normalized`` may pass ``normalize(text[:MAX_CHARS])`` if already computed.
    """
    norm = normalized if normalized is not None else normalize(text[:MAX_CHARS])
    return _MASK_RE.sub(" ", norm).strip()


def _pieces(sentence: str, size: int) -> list[str]:
    """A sentence longer than ``size``, cut at the last space before each limit."""
    out: list[str] = []
    rest = sentence
    while len(rest) > size:
        cut = rest.rfind(" ", size // 2, size + 1)
        if cut <= 0:
            cut = size
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        out.append(rest)
    return out


def windows(text: str, size: int = LONG_WINDOW_CHARS) -> list[str]:
    """``text[:MAX_CHARS]`` as consecutive windows of at most ``size`` characters.

    A text of at most :data:`WINDOW_CHARS` characters is its own single window, unchanged, so
    most comments are scored exactly as the model was trained. In a longer one whole sentences
    are packed together while they fit; a longer sentence is cut at spaces.
    """
    text = text[:MAX_CHARS]
    if len(text) <= max(size, WINDOW_CHARS):
        return [text]
    out: list[str] = []
    current = ""
    for sentence in _SENTENCE_END_RE.split(text):
        if not sentence:
            continue
        for piece in _pieces(sentence, size) if len(sentence) > size else [sentence]:
            if current and len(current) + 1 + len(piece) <= size:
                current = f"{current} {piece}"
            else:
                if current:
                    out.append(current)
                current = piece
    if current:
        out.append(current)
    return out or [text[:size]]


def encoder_text(text: str) -> str:
    """Light normalisation of one window for the sentence encoder (keeps case and accents).

    Given a longer text, it reads its first window (what the encoder was trained on).
    """
    first = text if len(text) <= WINDOW_CHARS else windows(text)[0]
    t = normalize(first, lowercase=False, accents=False, max_run=3)
    return _MASK_RE.sub(" ", t).strip() or "."


def _word_hashes(word: str, n_bits: int, char_orders: tuple[int, ...]) -> tuple[int, ...]:
    """The hashes of ``word``'s character n-grams (in order) and of the word itself."""
    mask = (1 << n_bits) - 1
    crc = zlib.crc32
    padded = f" {word} "
    b = len(padded)
    out: list[int] = []
    for n in char_orders:
        if n > b:
            break
        out.extend(crc(padded[i : i + n].encode()) & mask for i in range(b - n + 1))
    out.append(crc(("w:" + word).encode()) & mask)
    return tuple(out)


#: Per-process memory of :func:`_word_hashes`: comments reuse the same few thousand words, and
#: hashing each word's n-grams again was most of the n-gram model's time. Bounded: emptied when
#: full (a flood of made-up words costs only the hashing it would have cost anyway).
_WORD_CACHE: dict[tuple[str, int, tuple[int, ...]], tuple[int, ...]] = {}
_WORD_CACHE_MAX: Final = 50_000
#: Words longer than this are hashed each time, not remembered (they are rarely repeated).
_WORD_CACHE_CHARS: Final = 40


def hashed_ngrams(
    text: str, n_bits: int, char_orders: tuple[int, ...] = (2, 3, 4, 5)
) -> dict[int, float]:
    """Hashed, log-scaled and L2-normalised character and word n-gram counts.

    ``text`` should already be :func:`model_text` output.  Character n-grams
    are taken inside word boundaries (each word padded with spaces), word
    unigrams and bigrams are added with their own prefixes.  Feature indices are
    ``crc32(ngram) mod 2**n_bits``.

    The features come out in the order they are first met (the words' n-grams and unigrams,
    then the bigrams), as they always have: the model's dot product adds them in that order,
    so a score does not move by a rounding.
    """
    mask = (1 << n_bits) - 1
    crc = zlib.crc32
    words = _WORD_RE.findall(text)
    hashes: list[int] = []
    cache = _WORD_CACHE
    for w in words:
        if len(w) > _WORD_CACHE_CHARS:
            hashes.extend(_word_hashes(w, n_bits, char_orders))
            continue
        key = (w, n_bits, char_orders)
        found = cache.get(key)
        if found is None:
            if len(cache) >= _WORD_CACHE_MAX:
                cache.clear()
            found = cache[key] = _word_hashes(w, n_bits, char_orders)
        hashes.extend(found)
    hashes.extend(crc(f"b:{a} {c}".encode()) & mask for a, c in zip(words, words[1:], strict=False))
    if not hashes:
        return {}
    counts = Counter(hashes)
    logged: dict[int, float] = {}
    norm = 0.0
    for k, v in counts.items():
        lv = 1.0 + math.log(v)
        logged[k] = lv
        norm += lv * lv
    inv = 1.0 / math.sqrt(norm)
    return {k: v * inv for k, v in logged.items()}
