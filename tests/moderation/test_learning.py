"""Learning from the desk: the learning phase over an in-process memory (moderation.learning).

Scores come from :class:`WordScores`, a small real classifier named by dotted path, so what is
held does not depend on what the shipped model makes of a sentence; the shipped model's own
behaviour on a simulated stream is in test_learning_stream.py.
"""

from __future__ import annotations

import logging
import re

import pytest

from rostra.moderation.learning import (
    APPROVE,
    REJECT,
    LearningConfig,
    SiteExamples,
    encode_signature,
    signature_of,
)
from rostra.moderation.pipeline import Pipeline, build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action, PolicyError
from rostra.moderation.state import LearntExample, MemoryState
from tests.moderation.helpers import submission

PEST = "Kill the pests early: trap the rats and poison the moles before they wreck the allotment."
PEST_AGAIN = "Kill the pests early: trap the rats and poison the voles before they wreck the plot."
PEST_OTHER = "Our moles are back on the allotment, any advice that does not involve poison?"
THREAT = "Kill the pests early: trap the mayor and poison his family before they wreck the town."


class WordScores:
    """Toxicity 0.7 for a comment that says "kill" or "poison", 0.97 when it also names the
    mayor, 0.05 otherwise; holds from 0.5."""

    name = "word-scores"
    threshold = 0.5

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        low = text.lower()
        value = 0.05
        if "kill" in low or "poison" in low:
            value = 0.97 if "mayor" in low else 0.7
        return {"toxicity": value, "insult": 0.0, "threat": value / 2}


SCORES = f"{__name__}:WordScores"


def pipeline(state: MemoryState, **settings: object) -> Pipeline:
    data: dict[str, object] = {"toxicity": {"classifier": SCORES}, "duplicates": {"enabled": False}}
    data.update(settings)
    return build_pipeline(Policy.from_settings(data), state, rate_limits=False, learning_refresh=0)


def learn(state: MemoryState, body: str, label: str, *, site: int = 1, tox: float = 0.7) -> None:
    sig = signature_of(body)
    assert sig is not None
    state.learn(site, body, LearntExample(label, encode_signature(sig), tox))


def test_an_approved_comment_lifts_the_hold_of_a_near_repeat_only() -> None:
    state = MemoryState()
    run = pipeline(state).run
    assert run(submission(PEST_AGAIN)).verdict is Action.HOLD
    learn(state, PEST, APPROVE)
    lifted = run(submission(PEST_AGAIN))
    assert lifted.verdict is Action.PUBLISH
    assert lifted.phase == "learning" and "approved" in lifted.reason
    assert lifted.facts["learnt"] == "lifted" and lifted.scores["learnt_approved"] >= 0.6
    # The classifier's hold stays on record; the author is not nudged to reword.
    assert [v.phase for v in lifted.verdicts] == ["toxicity", "learning"]
    # The same subject in other words is not a near repeat: still held.
    other = run(submission(PEST_OTHER))
    assert other.verdict is Action.HOLD and other.phase == "toxicity"


def test_the_guard_keeps_a_more_toxic_near_repeat_held() -> None:
    state = MemoryState()
    learn(state, PEST, APPROVE)
    # Nearly the approved text's letters, but the classifier reads it as far more toxic.
    record = pipeline(state).run(submission(THREAT))
    assert record.scores["learnt_approved"] >= 0.5
    assert record.verdict is Action.HOLD and record.phase == "toxicity"


def test_an_approval_of_unknown_toxicity_lifts_nothing() -> None:
    state = MemoryState()
    sig = signature_of(PEST)
    assert sig is not None
    state.learn(1, "x", LearntExample(APPROVE, encode_signature(sig), None))
    assert pipeline(state).run(submission(PEST)).verdict is Action.HOLD


def test_holds_of_other_checks_are_never_lifted() -> None:
    state = MemoryState()
    learn(state, PEST, APPROVE)
    words = pipeline(state, word_lists={"suspect": {"en": ["moles"]}}).run(submission(PEST))
    assert words.verdict is Action.HOLD and words.phase != "learning"
    every = pipeline(state, premoderation="all").run(submission(PEST))
    assert every.verdict is Action.HOLD and every.phase == "premoderation"
    # A rejection is never softened.
    rejected = pipeline(state, toxicity={"classifier": SCORES, "reject": 0.6}).run(submission(PEST))
    assert rejected.verdict is Action.REJECT


def test_a_rejected_comment_holds_its_near_repeats() -> None:
    state = MemoryState()
    spam_like = "Lovely photos of the festival, the brass band was the best part of the day."
    run = pipeline(state).run
    assert run(submission(spam_like)).verdict is Action.PUBLISH
    learn(state, spam_like, REJECT, tox=0.05)
    again = run(submission(spam_like.replace("best", "finest")))
    assert again.verdict is Action.HOLD and again.phase == "learning"
    assert "rejected" in again.reason and again.facts["learnt"] == "held"
    assert run(submission(PEST_OTHER.replace("poison", "traps"))).verdict is Action.PUBLISH


def test_closer_to_an_approved_comment_than_to_a_rejected_one() -> None:
    state = MemoryState()
    learn(state, PEST, APPROVE)
    learn(state, PEST_AGAIN, REJECT)
    # Identical to the approved one, less alike the rejected one: lifted.
    assert pipeline(state).run(submission(PEST)).verdict is Action.PUBLISH
    # Identical to the rejected one: held.
    assert pipeline(state).run(submission(PEST_AGAIN)).verdict is Action.HOLD


def test_one_sites_decisions_never_reach_another() -> None:
    state = MemoryState()
    learn(state, PEST, APPROVE, site=2)
    learn(state, PEST_OTHER.replace("poison", "traps"), REJECT, site=2, tox=0.05)
    run = pipeline(state).run
    assert run(submission(PEST, site_id=1)).verdict is Action.HOLD
    assert run(submission(PEST_OTHER.replace("poison", "traps"), site_id=1)).verdict is (
        Action.PUBLISH
    )
    assert run(submission(PEST, site_id=2)).verdict is Action.PUBLISH


def test_a_later_decision_replaces_an_earlier_one() -> None:
    state = MemoryState()
    learn(state, PEST, APPROVE)
    assert pipeline(state).run(submission(PEST)).verdict is Action.PUBLISH
    learn(state, PEST, REJECT)
    assert pipeline(state).run(submission(PEST)).verdict is Action.HOLD
    state.forget(1, PEST)
    assert state.learnt_examples(1, 10) == []


def test_corrupted_examples_are_set_aside_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = MemoryState()
    sig = signature_of(PEST)
    assert sig is not None
    good = encode_signature(sig)
    for n, bad in enumerate(
        [
            LearntExample(APPROVE, "not base64 !!", 0.7),
            LearntExample(APPROVE, encode_signature(sig[:100]), 0.7),
            LearntExample("maybe", good, 0.7),
            LearntExample(APPROVE, good, float("nan")),
            LearntExample(APPROVE, good, 3.0),
        ]
    ):
        state.learn(1, n, bad)
    run = pipeline(state).run
    with caplog.at_level(logging.WARNING, "rostra.moderation"):
        for _ in range(3):
            record = run(submission(PEST))
            # Nothing readable approves it: the shared model's hold stands.
            assert record.verdict is Action.HOLD and record.phase == "toxicity"
    warnings = [r for r in caplog.records if "learnt moderation memory" in r.getMessage()]
    assert len(warnings) == 1 and "5 unreadable" in warnings[0].getMessage()
    assert PEST not in caplog.text
    # A readable approval among them still counts.
    learn(state, PEST, APPROVE)
    assert run(submission(PEST)).verdict is Action.PUBLISH


class Unreadable(MemoryState):
    """A memory whose store refuses: the table is missing, the database is down."""

    def learnt_version(self, site_id: int) -> tuple[int, int]:
        raise RuntimeError("no such table: moderation_examples")


def test_a_memory_that_cannot_be_read_leaves_the_shared_model_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = Unreadable()
    learn(state, PEST, APPROVE)
    run = pipeline(state).run
    with caplog.at_level(logging.WARNING, "rostra.moderation"):
        for _ in range(3):
            record = run(submission(PEST))
            assert record.verdict is Action.HOLD and record.phase == "toxicity"
            assert run(submission(PEST_OTHER.replace("poison", "traps"))).verdict is (
                Action.PUBLISH
            )
    warnings = [r for r in caplog.records if "learnt moderation memory" in r.getMessage()]
    assert len(warnings) == 1 and "RuntimeError" in warnings[0].getMessage()


@pytest.mark.parametrize(
    "body",
    [
        "",
        " \n\t ",
        "🌱🐀🔫" * 50,
        "kill " * 40_000,
        "\x00\x01\x02 poison \ufffd\udcff".encode("utf-8", "surrogatepass").decode(
            "utf-8", "replace"
        ),
        "Kill the крысы and the فئران before the 土竜 wreck the allotment 🐀",
        "".join(chr(c) for c in range(0x20, 0x3000, 7)),
    ],
    ids=["empty", "blank", "emoji", "huge", "binary", "mixed-script", "all-scripts"],
)
def test_bad_bodies_pass_through_the_phase(body: str) -> None:
    state = MemoryState()
    learn(state, PEST, APPROVE)
    learn(state, PEST_OTHER, REJECT)
    record = pipeline(state).run(submission(body))
    assert not any("failed" in v.reason for v in record.verdicts)
    assert record.verdict in (Action.PUBLISH, Action.HOLD)


def test_the_memory_is_read_again_only_when_it_changed() -> None:
    calls: list[str] = []

    class Counting(MemoryState):
        def learnt_examples(self, site_id: int, limit: int) -> list[LearntExample]:
            calls.append("read")
            return super().learnt_examples(site_id, limit)

    state = Counting()
    learn(state, PEST, APPROVE)
    run = pipeline(state).run
    for _ in range(3):
        run(submission(PEST))
    assert calls == ["read"]
    learn(state, PEST_AGAIN, APPROVE)
    run(submission(PEST))
    assert calls == ["read", "read"]


def test_max_examples_keeps_the_most_recent() -> None:
    state = MemoryState()
    learn(state, PEST, APPROVE)
    learn(state, PEST_OTHER, REJECT)
    assert [e.label for e in state.learnt_examples(1, 1)] == [REJECT]
    assert pipeline(state, learning={"max_examples": 1}).run(submission(PEST)).verdict is (
        Action.HOLD
    )
    assert SiteExamples(state.learnt_examples(1, 5)).nbytes == 2 * 128 * 4 + 4


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"enabled": "yes"}, "moderation.learning.enabled must be true or false"),
        ({"lift_similarity": 0.3}, "moderation.learning.lift_similarity must be between 0.5"),
        ({"hold_similarity": 2}, "moderation.learning.hold_similarity must be between 0.3"),
        ({"max_examples": 0}, "moderation.learning.max_examples must be between 1"),
        ({"k": 1}, "moderation.learning has unknown setting(s): k"),
    ],
)
def test_bad_settings_are_refused_by_name(settings: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(message)):
        Policy.from_settings({"learning": settings})


def test_learning_off_leaves_the_phase_out() -> None:
    state = MemoryState()
    learn(state, PEST, APPROVE)
    off = pipeline(state, learning={"enabled": False})
    assert "learning" not in off.names
    assert off.run(submission(PEST)).verdict is Action.HOLD
    assert LearningConfig().enabled  # on by default
