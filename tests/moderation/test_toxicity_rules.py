"""The toxicity rules on their own: reject, hold, short comments, categories and the nudge.

Every test here plugs in a classifier that gives fixed scores (``tests.moderation.plugins.fixed``),
so each one reads "toxicity 0.95 is rejected", "0.6 is held", "a short comment at 0.45 is
published", whatever the shipped model would make of the sentence. What the shipped model scores
is tested in tests/moderation/test_model_quality.py and tests/unit/test_classifier.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rostra.moderation.phases.toxicity import (
    DEFAULT_REJECT,
    DEFAULT_SHORT_HOLD,
    DEFAULT_SHORT_WORDS,
    Toxicity,
    ToxicityConfig,
)
from rostra.moderation.pipeline import build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action, ModerationRecord
from rostra.moderation.state import MemoryState
from tests.moderation.helpers import CIVIL, submission
from tests.moderation.plugins import fixed

# Twelve words: too long for the short-comment rule, which has its own tests below.
LONG = CIVIL
# Exactly DEFAULT_SHORT_WORDS (five) words, and one more.
SHORT = "Five words and no more"
JUST_LONGER = "Six words and not one more"


def judge(
    toxicity: float,
    text: str = LONG,
    *,
    threshold: float = 0.5,
    scores: dict[str, float] | None = None,
    **settings: Any,
) -> tuple[ModerationRecord, Policy]:
    """``text`` through the default pipeline with a classifier that scores it ``toxicity`` (and
    the categories in ``scores``) and holds from ``threshold``; ``settings`` go into the site's
    ``toxicity`` section. The record and the policy."""
    path = fixed(toxicity, threshold=threshold, **(scores or {}))
    policy = Policy.from_settings({"toxicity": {"classifier": path, **settings}})
    pipeline = build_pipeline(policy, MemoryState(), rate_limits=False)
    return pipeline.run(submission(text, "rules-reader")), policy


def verdict(toxicity: float, text: str = LONG, **kwargs: Any) -> Action:
    return judge(toxicity, text, **kwargs)[0].verdict


def test_the_words_do_not_matter_here() -> None:
    # The same civil sentence, three fixed scores, three verdicts: what is tested below is the
    # rule, not the sentence.
    assert [verdict(s) for s in (0.1, 0.6, 0.995)] == [
        Action.PUBLISH,
        Action.HOLD,
        Action.REJECT,
    ]


def test_default_thresholds_publish_hold_reject() -> None:
    # Below the classifier's own threshold: published, with the score on record.
    record, _ = judge(0.49)
    assert record.verdict is Action.PUBLISH and record.phase == ""
    assert record.scores["toxicity"] == pytest.approx(0.49)
    # At the classifier's own threshold (no ``hold`` set): held.
    record, _ = judge(0.5)
    assert record.verdict is Action.HOLD and record.phase == "toxicity"
    assert record.reason == "toxicity 0.50 at or above 0.50"
    # The classifier's threshold is the default, whatever it is.
    assert verdict(0.5, threshold=0.7) is Action.PUBLISH
    assert verdict(0.7, threshold=0.7) is Action.HOLD
    # Just under the default reject threshold: held, not rejected; at it: rejected.
    assert verdict(DEFAULT_REJECT - 0.01) is Action.HOLD
    record, _ = judge(DEFAULT_REJECT)
    assert record.verdict is Action.REJECT and record.phase == "toxicity"
    assert record.message and "tone" in record.message


def test_site_thresholds() -> None:
    # A site's hold replaces the classifier's threshold.
    assert verdict(0.6, hold=0.6) is Action.HOLD
    assert verdict(0.59, hold=0.6) is Action.PUBLISH
    assert verdict(0.45, hold=0.4) is Action.HOLD
    # A site's reject threshold.
    assert verdict(0.95, reject=0.9) is Action.REJECT
    assert verdict(0.89, reject=0.9) is Action.HOLD
    # reject: null never rejects on toxicity alone, even at 1.0.
    assert verdict(1.0, reject=None) is Action.HOLD


def test_category_thresholds_hold() -> None:
    # No category threshold set (the default): a category score alone holds nothing.
    assert verdict(0.1, scores={"threat": 0.9}) is Action.PUBLISH
    record, _ = judge(0.1, scores={"threat": 0.3}, categories={"threat": 0.3})
    assert record.verdict is Action.HOLD and record.phase == "toxicity"
    assert record.reason == "threat 0.30 at or above 0.30"
    assert verdict(0.1, scores={"threat": 0.29}, categories={"threat": 0.3}) is Action.PUBLISH
    assert verdict(0.1, scores={"insult": 0.9}, categories={"threat": 0.3}) is Action.PUBLISH


def test_short_comments_need_a_higher_score() -> None:
    # Like v1.1 of the shipped model, a classifier holding from 0.39; short comments are held only
    # from DEFAULT_SHORT_HOLD (0.5), so a neutral short remark the model scores in between passes.
    assert (DEFAULT_SHORT_WORDS, DEFAULT_SHORT_HOLD) == (5, 0.5)
    assert verdict(0.45, SHORT, threshold=0.39) is Action.PUBLISH
    record, _ = judge(DEFAULT_SHORT_HOLD, SHORT, threshold=0.39)
    assert record.verdict is Action.HOLD and record.reason == "toxicity 0.50 at or above 0.50"
    # One word more and the ordinary threshold applies.
    record, _ = judge(0.45, JUST_LONGER, threshold=0.39)
    assert record.verdict is Action.HOLD and record.reason == "toxicity 0.45 at or above 0.39"
    # short_hold: null treats short comments like the others; short_words sets what is short.
    assert verdict(0.45, SHORT, threshold=0.39, short_hold=None) is Action.HOLD
    assert verdict(0.45, SHORT, threshold=0.39, short_words=4) is Action.HOLD
    assert verdict(0.45, JUST_LONGER, threshold=0.39, short_words=6) is Action.PUBLISH
    assert verdict(0.55, SHORT, threshold=0.39, short_hold=0.6) is Action.PUBLISH
    # short_hold only ever raises the bar: under a site hold above it, the site's hold applies.
    assert verdict(0.55, SHORT, hold=0.6) is Action.PUBLISH
    assert verdict(0.6, SHORT, hold=0.6) is Action.HOLD
    # Rejection does not care how short a comment is.
    assert verdict(DEFAULT_REJECT, "Short and rejected", threshold=0.39) is Action.REJECT


def test_nudge_follows_a_hold_for_tone_alone() -> None:
    record, policy = judge(0.6)
    assert record.verdict is Action.HOLD and policy.nudges(record)
    record, policy = judge(0.4, hold=0.3)
    assert record.verdict is Action.HOLD and policy.nudges(record)
    # Published: nothing to warn about.
    record, policy = judge(0.4)
    assert record.verdict is Action.PUBLISH and not policy.nudges(record)
    # Rejected for its tone: a rejection is not softened into a warning.
    record, policy = judge(0.95, reject=0.9)
    assert record.verdict is Action.REJECT and not policy.nudges(record)
    # The site turned the nudge off.
    record, policy = judge(0.6, nudge=False)
    assert record.verdict is Action.HOLD and not policy.nudges(record)


def test_no_nudge_when_more_than_the_tone_holds() -> None:
    path = fixed(0.6)
    for extra, action in (
        ({"premoderation": "all"}, Action.HOLD),
        ({"word_lists": {"suspect": ["recycling"]}}, Action.HOLD),
        ({"word_lists": {"reject": ["recycling"]}}, Action.REJECT),
    ):
        policy = Policy.from_settings({"toxicity": {"classifier": path}, **extra})
        record = build_pipeline(policy, MemoryState(), rate_limits=False).run(submission(LONG))
        assert record.verdict is action, extra
        assert not policy.nudges(record), extra
    # A classifier that gave nothing usable holds, but the wording is not the question.
    broken = {"classifier": "tests.moderation.plugins:BrokenScores"}
    policy = Policy.from_settings({"toxicity": broken})
    record = build_pipeline(policy, MemoryState(), rate_limits=False).run(submission(LONG))
    assert record.verdict is Action.HOLD and not policy.nudges(record)


def test_record_json_shape() -> None:
    record, _ = judge(0.6)
    data = json.loads(record.to_json())
    assert set(data) == {"verdict", "phase", "reason", "language", "scores", "facts", "verdicts"}
    assert data["verdicts"] == [{"phase": "toxicity", "action": "hold", "reason": data["reason"]}]
    assert data["facts"]["first_time"] is True and data["facts"]["links"] == 0
    assert data["scores"]["toxicity"] == pytest.approx(0.6)
    assert LONG not in record.to_json()


class PerLanguage:
    """Scores every comment alike and, like the shipped model, holds from a threshold per
    language (``thresholds``) with a global one for any other language."""

    name = "per-language"
    threshold = 0.5
    thresholds = {"fr": 0.6, "de": 0.3, "es": float("nan"), "ru": 2.0}

    def __init__(self, toxicity: float) -> None:
        self.toxicity = toxicity

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        return {"toxicity": self.toxicity}


def judged_in(language: str | None, toxicity: float, **settings: Any) -> ModerationRecord:
    phase = Toxicity(ToxicityConfig(**settings), loader=lambda _path: PerLanguage(toxicity))
    record = ModerationRecord()
    record.language = language
    verdict = phase(submission(LONG, "rules-reader"), record)
    record.verdict = verdict.action if verdict is not None else Action.PUBLISH
    record.reason = verdict.reason if verdict is not None else ""
    return record


def test_the_hold_threshold_is_the_classifiers_for_the_comments_language() -> None:
    assert judged_in("fr", 0.55).verdict is Action.PUBLISH  # fr holds from 0.6
    assert judged_in("fr", 0.6).reason == "toxicity 0.60 at or above 0.60 for fr"
    assert judged_in("de", 0.35).reason == "toxicity 0.35 at or above 0.30 for de"
    # Another language, none identified, or a threshold that is not a probability: the global one.
    for language in ("en", None, "es", "ru"):
        assert judged_in(language, 0.45).verdict is Action.PUBLISH, language
        assert judged_in(language, 0.5).reason == "toxicity 0.50 at or above 0.50", language


def test_a_sites_own_hold_applies_to_every_language() -> None:
    assert judged_in("de", 0.55, hold=0.7).verdict is Action.PUBLISH
    assert judged_in("fr", 0.65, hold=0.7).verdict is Action.PUBLISH
    assert judged_in("fr", 0.7, hold=0.7).reason == "toxicity 0.70 at or above 0.70"
