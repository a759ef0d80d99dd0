"""Repeats and near-duplicates: re-posts caught, distinct comments never matched.

The corpus is 370 distinct comments in our own words (six languages), 60 of them many readers'
comments on the same few articles, so they share vocabulary. Each is re-posted in thirteen ways a
person or a spammer would: unchanged, in capitals, with extra spaces, punctuation or emoji, a word
dropped or replaced, a typo, a line added, a prefix, look-alike letters, leetspeak, zero-width
characters.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from rostra.moderation.phases.duplicates import (
    DuplicateConfig,
    Duplicates,
    fingerprint_of,
    matching_key,
)
from rostra.moderation.record import Action, ModerationRecord, Verdict
from rostra.moderation.state import MemoryState
from tests.moderation.helpers import NOW, corpus, submission

HOMOGLYPHS = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"}


def variants(text: str, rng: random.Random) -> dict[str, str]:
    words = text.split()
    i = rng.randrange(len(words))
    j = rng.randrange(len(words))
    k = rng.randrange(1, len(text) - 2)
    return {
        "exact": text,
        "capitals": text.upper(),
        "spacing": "  " + "  ".join(words) + "\n",
        "punctuation": text.rstrip(".!?") + "!!!",
        "emoji": text + " \U0001f44d\U0001f44d",
        "word dropped": " ".join(words[:i] + words[i + 1 :]),
        "word replaced": " ".join(words[:j] + ["absolutely"] + words[j + 1 :]),
        "typo": text[:k] + text[k + 1] + text[k] + text[k + 2 :],
        "line added": text + "\nThat is all I wanted to say.",
        "prefix": "Posting this again: " + text,
        "look-alikes": "".join(HOMOGLYPHS.get(ch, ch) if rng.random() < 0.3 else ch for ch in text),
        "leetspeak": text.replace("e", "3").replace("o", "0").replace("a", "4"),
        "zero-width": "\u200b".join(text[n : n + 4] for n in range(0, len(text), 4)),
    }


def remember_all(state: MemoryState, texts: list[str], author: Callable[[int], str | None]) -> None:
    for n, text in enumerate(texts):
        sub = submission(text, author(n))
        fp = fingerprint_of(sub)
        assert fp is not None
        state.remember(1, author(n), fp, n, NOW)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = corpus()
    assert len(found) >= 200
    return found


def test_distinct_comments_are_never_matched(texts: list[str]) -> None:
    """Every comment posted in turn, by different readers and then all by one reader."""
    for author in (lambda n: f"reader-{n}", lambda n: "one-reader"):
        state = MemoryState()
        phase = Duplicates(DuplicateConfig(), state)
        for n, text in enumerate(texts):
            sub = submission(text, author(n))
            record = ModerationRecord()
            assert phase(sub, record) is None, (n, record.scores)
            fp = fingerprint_of(sub)
            assert fp is not None
            state.remember(1, author(n), fp, n, NOW)


def test_same_reader_reposts_are_caught(texts: list[str]) -> None:
    state = MemoryState()
    remember_all(state, texts, lambda n: f"reader-{n}")
    phase = Duplicates(DuplicateConfig(), state)
    rng = random.Random(2026)
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed = []
    for n, text in enumerate(texts):
        for kind, variant in variants(text, rng).items():
            later = NOW + timedelta(minutes=5)
            verdict = phase(submission(variant, f"reader-{n}", now=later), ModerationRecord())
            total[kind] += 1
            if verdict is not None:
                caught[kind] += 1
            else:
                missed.append((kind, n))
    rate = sum(caught.values()) / sum(total.values())
    assert rate >= 0.99, (rate, missed[:20])
    for kind in total:
        assert caught[kind] / total[kind] >= 0.95, (kind, caught[kind], total[kind])
    # Unchanged re-posts by the same reader are refused outright, with a message.
    verdict = phase(submission(texts[0], "reader-0"), ModerationRecord())
    assert verdict is not None and verdict.action is Action.REJECT and verdict.message


def test_other_readers_copies_are_caught(texts: list[str]) -> None:
    """A copy-and-paste campaign: long comments re-posted by other readers, lightly changed."""
    config = DuplicateConfig()
    state = MemoryState()
    remember_all(state, texts, lambda n: f"reader-{n}")
    phase = Duplicates(config, state)
    rng = random.Random(7)
    light = {"exact", "capitals", "spacing", "punctuation", "emoji", "look-alikes", "zero-width"}
    tried = caught = 0
    for n, text in enumerate(texts):
        if len(matching_key(submission(text))) < config.min_chars_site:
            continue
        for kind, variant in variants(text, rng).items():
            if kind not in light:
                continue
            tried += 1
            verdict = phase(submission(variant, f"someone-else-{n}"), ModerationRecord())
            if verdict is not None and verdict.action is Action.HOLD:
                caught += 1
    assert tried > 1000
    assert caught / tried >= 0.99


def _check(phase: Duplicates, text: str, author: str | None, **kw: object) -> Verdict | None:
    return phase(submission(text, author, **kw), ModerationRecord())  # type: ignore[arg-type]


def test_short_texts_repeat_innocently() -> None:
    state = MemoryState()
    phase = Duplicates(DuplicateConfig(), state)
    for text, author in [("Thank you!", "a"), ("Thanks a lot for this.", "b")]:
        sub = submission(text, author)
        fp = fingerprint_of(sub)
        assert fp is not None
        state.remember(1, author, fp, None, NOW)
    # Another reader may say the same short thing.
    assert _check(phase, "Thanks a lot for this.", "c") is None
    # Too short to count even for the same reader.
    assert _check(phase, "Thank you!", "a") is None
    # Long enough for the same reader.
    assert _check(phase, "Thanks a lot for this!", "b") is not None
    # A guest without a token is "another reader" every time.
    assert _check(phase, "Thanks a lot for this.", None) is None


def test_window_sites_and_edits() -> None:
    text = "The council should publish the full report on the harbour dredging before the vote."
    state = MemoryState()
    phase = Duplicates(DuplicateConfig(window_hours=24), state)
    sub = submission(text, "a")
    fp = fingerprint_of(sub)
    assert fp is not None
    state.remember(1, "a", fp, 41, NOW)
    assert _check(phase, text, "b") is not None
    # Outside the window, or on another site, it is a new comment.
    assert _check(phase, text, "b", now=NOW + timedelta(hours=25)) is None
    assert _check(phase, text, "b", site_id=2) is None
    # Editing comment 41 does not make it a repeat of itself.
    assert _check(phase, text + " Thanks.", "a", is_edit=True, comment_id=41) is None
    # Site-wide matching can be switched off.
    only_own = Duplicates(DuplicateConfig(site_wide=False), state)
    assert _check(only_own, text, "b") is None
    assert _check(only_own, text, "a") is not None
