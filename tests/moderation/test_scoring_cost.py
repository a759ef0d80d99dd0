"""The cheaper ways of computing the classifier's features give exactly what the plain ones gave.

Speed-ups in the scoring path (issue 11, posting with the whole pipeline) must not move a score:
each is checked here against a straightforward reference written the way the code was before.
"""

from __future__ import annotations

import math
import zlib

import pytest

from rostra.moderation.classifier import features
from rostra.moderation.classifier.features import hashed_ngrams, model_text
from rostra.moderation.evaluation.toxicity import load
from rostra.moderation.phases import language


def reference_hashed_ngrams(
    text: str, n_bits: int, char_orders: tuple[int, ...] = (2, 3, 4, 5)
) -> dict[int, float]:
    """hashed_ngrams as it was before the per-word memory: every n-gram hashed in place."""
    mask = (1 << n_bits) - 1
    counts: dict[int, float] = {}
    words = features._WORD_RE.findall(text)
    for w in words:
        padded = f" {w} "
        b = len(padded)
        for n in char_orders:
            if n > b:
                break
            for i in range(b - n + 1):
                h = zlib.crc32(padded[i : i + n].encode()) & mask
                counts[h] = counts.get(h, 0.0) + 1.0
        h = zlib.crc32(("w:" + w).encode()) & mask
        counts[h] = counts.get(h, 0.0) + 1.0
    for a, c in zip(words, words[1:], strict=False):
        h = zlib.crc32(f"b:{a} {c}".encode()) & mask
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


ODD = [
    "",
    "   ",
    "a",
    "ok ok ok ok ok",
    "x" * 5000,
    "mot " * 300,
    "😀😀 🔥",
    "\x00\x01 binary \ufffd junk",
    "مرحبا بكم hello Привет 你好",
    "Straße ÇA VA? naïve café",
    "a" * 41 + " " + "b" * 40,
]


@pytest.mark.parametrize("orders", [(2, 3, 4, 5), (3, 5), (1,)])
def test_word_memory_gives_the_same_features_in_the_same_order(orders: tuple[int, ...]) -> None:
    texts = [model_text(row.text) for row in load()[:300]] + ODD
    for _ in range(2):  # the second pass reads every word from the memory
        for text in texts:
            got = hashed_ngrams(text, 18, orders)
            want = reference_hashed_ngrams(text, 18, orders)
            # Same features, same values, same order (the model adds them in this order).
            assert list(got.items()) == list(want.items())


def test_word_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "_WORD_CACHE_MAX", 50)
    features._WORD_CACHE.clear()
    text = " ".join(f"word{i}" for i in range(400))
    assert hashed_ngrams(text, 18) == reference_hashed_ngrams(text, 18)
    assert 0 < len(features._WORD_CACHE) <= 50


def reference_script_rank(text: str) -> list[tuple[str, float]]:
    """ScriptIdentifier.rank as it was: every letter looked up in every script range."""
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        for low, high, lang in language._SCRIPT_LANGUAGES:
            if low <= ord(ch) <= high:
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not letters:
        return []
    if counts.get("ja") and counts.get("zh"):
        counts["ja"] += counts.pop("zh")
    return [(lang, n / letters) for lang, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def test_script_ranking_unchanged() -> None:
    texts = (
        [row.text for row in load()] + ODD + ["Ωμέγα ελληνικά", "ひらがな 漢字", "한국어 텍스트"]
    )
    for text in texts:
        assert language.ScriptIdentifier().rank(text) == reference_script_rank(text)
