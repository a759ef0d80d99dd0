"""The pipeline and the policy: order, verdicts, pre-moderation, history, a swapped classifier,
failing phases and bad input, and the moderator behind the services' seam."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from rostra.domain.models import Author, CommentStatus, Site, SiteSettings
from rostra.moderation.classifier import load_default_classifier
from rostra.moderation.moderator import PipelineModerator
from rostra.moderation.pipeline import Pipeline, build_pipeline
from rostra.moderation.policy import Policy, PreModeration
from rostra.moderation.record import (
    Action,
    ModerationRecord,
    PolicyError,
    Submission,
    Verdict,
)
from rostra.moderation.state import MemoryState
from rostra.services.moderation_port import Draft
from tests.moderation.helpers import CIVIL, NOW, TOXIC, VERY_TOXIC, submission
from tests.moderation.plugins import fixed


@pytest.fixture(scope="module")
def default() -> Pipeline:
    return build_pipeline(Policy(), MemoryState())


def test_default_phases_in_order(default: Pipeline) -> None:
    assert default.names == [
        "rate_limits",
        "language",
        "history",
        "links",
        "spam",
        "duplicates",
        "toxicity",
        "learning",
    ]
    policy = Policy.from_settings(
        {
            "word_lists": {"reject": ["moron"]},
            "external": {"url": "https://x.example/", "secret": "s" * 16},
        }
    )
    names = build_pipeline(policy, MemoryState(), rate_limits=False).names
    assert names[0] == "language" and "word_lists" in names and names[-1] == "external"
    assert build_pipeline(Policy(enabled=False), MemoryState()).names == []


def test_shipped_model_publishes_civil_and_flags_insults(default: Pipeline) -> None:
    # What the shipped model makes of clear cases; the thresholds themselves (what is held, what
    # is rejected) are tested with fixed scores in test_toxicity_rules.py.
    record = default.run(submission(CIVIL, "civil-reader"))
    assert record.verdict is Action.PUBLISH and record.phase == ""
    assert record.language == "en"
    assert record.scores["toxicity"] < 0.3

    record = default.run(submission(TOXIC, "rude-reader"))
    assert record.verdict is Action.HOLD and record.phase == "toxicity"
    threshold = load_default_classifier().threshold
    assert record.scores["toxicity"] >= threshold and record.scores["insult"] > 0.5

    record = default.run(submission(VERY_TOXIC, "ruder-reader"))
    assert record.verdict is Action.REJECT and record.phase == "toxicity"
    assert record.message and "tone" in record.message

    # Short comments are held only from a higher score, but a short insult still reaches it.
    short_insult = default.run(submission("you moron", "short-reader"))
    assert short_insult.verdict is Action.HOLD and short_insult.phase == "toxicity"

    for text in (CIVIL, TOXIC, VERY_TOXIC):
        stored = default.run(submission(text, "someone-new")).to_json()
        assert text not in stored and "moron" not in stored


def test_a_reject_stops_the_run_and_beats_holds() -> None:
    policy = Policy.from_settings({"word_lists": {"suspect": ["recycling"], "reject": ["moron"]}})
    pipeline = build_pipeline(policy, MemoryState())
    record = pipeline.run(submission("Recycling? What a moron. " + CIVIL))
    assert record.verdict is Action.REJECT and record.phase == "word_lists"
    assert "toxicity" not in record.scores  # the classifier did not run
    record = pipeline.run(submission(CIVIL))
    assert record.verdict is Action.HOLD and record.phase == "word_lists"
    assert "toxicity" in record.scores  # a hold does not stop the run


@pytest.mark.parametrize(
    ("mode", "facts", "held"),
    [
        ("none", {"first_time": True, "links": 2}, False),
        ("all", {"first_time": False, "links": 0}, True),
        ("first_time", {"first_time": True, "links": 0}, True),
        ("first_time", {"first_time": False, "links": 0}, False),
        ("links", {"first_time": True, "links": 1}, True),
        ("links", {"first_time": True, "links": 0}, False),
    ],
)
def test_premoderation_modes(mode: str, facts: dict[str, object], held: bool) -> None:
    policy = Policy.from_settings({"premoderation": mode})
    assert policy.premoderation is PreModeration(mode)
    record = ModerationRecord(facts=dict(facts))  # type: ignore[arg-type]
    policy.finish(record)
    assert (record.verdict is Action.HOLD) is held
    if held:
        assert record.phase == "premoderation"
    # Pre-moderation never softens a rejection.
    rejected = ModerationRecord(facts=dict(facts))  # type: ignore[arg-type]
    rejected.add("word_lists", Verdict(Action.REJECT, "matched"))
    policy.finish(rejected)
    assert rejected.verdict is Action.REJECT


def test_first_time_mode_with_history() -> None:
    state = MemoryState()
    pipeline = build_pipeline(Policy.from_settings({"premoderation": "first_time"}), state)
    first = pipeline.run(submission(CIVIL, "newcomer"))
    assert first.verdict is Action.HOLD and first.phase == "premoderation"
    state.note_outcome(1, "newcomer", Action.PUBLISH, NOW)  # a moderator approved it
    later = pipeline.run(submission("I also liked the map of the collection rounds.", "newcomer"))
    assert later.verdict is Action.PUBLISH


def test_recent_rejections_hold_the_next_comment() -> None:
    state = MemoryState()
    pipeline = build_pipeline(Policy(), state)
    for days in (3, 2):
        state.note_outcome(1, "troll", Action.REJECT, NOW - timedelta(days=days))
    record = pipeline.run(submission(CIVIL, "troll"))
    assert record.verdict is Action.HOLD and record.phase == "history"
    # Older rejections have expired.
    old = MemoryState()
    for days in (40, 41):
        old.note_outcome(1, "reformed", Action.REJECT, NOW - timedelta(days=days))
    record = build_pipeline(Policy(), old).run(submission(CIVIL, "reformed"))
    assert record.verdict is Action.PUBLISH


def test_classifier_swapped_by_dotted_path() -> None:
    for path in (
        "tests.moderation.plugins:KeywordClassifier",
        "tests.moderation.plugins.make_keyword_classifier",
    ):
        policy = Policy.from_settings({"toxicity": {"classifier": path, "reject": None}})
        pipeline = build_pipeline(policy, MemoryState())
        held = pipeline.run(submission("Pineapple belongs on pizza and I will die on this hill."))
        assert held.verdict is Action.HOLD and held.phase == "toxicity"
        assert held.scores["toxicity"] == pytest.approx(0.99)
        # The shipped model would hold this one; the site's own classifier does not.
        assert pipeline.run(submission(TOXIC, "x")).verdict is Action.PUBLISH


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("tests.moderation.plugins:Missing", "cannot be loaded"),
        ("no.such.module:Thing", "cannot be loaded"),
        ("tests.moderation.plugins:NOT_A_CLASSIFIER", "no score method"),
        ("justaname", "not module:name"),
    ],
)
def test_bad_classifier_paths(path: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        build_pipeline(Policy.from_settings({"toxicity": {"classifier": path}}), MemoryState())


def test_unusable_scores_and_failing_phases_hold(caplog: pytest.LogCaptureFixture) -> None:
    policy = Policy.from_settings(
        {"toxicity": {"classifier": "tests.moderation.plugins:BrokenScores"}}
    )
    record = build_pipeline(policy, MemoryState()).run(submission(CIVIL))
    assert record.verdict is Action.HOLD and "no usable scores" in record.reason

    class Exploding:
        name = "exploding"

        def __call__(self, sub: Submission, record: ModerationRecord) -> Verdict | None:
            raise RuntimeError(f"cannot handle {sub.body}")

    secret_text = "a body that must never reach the log"
    with caplog.at_level(logging.DEBUG, logger="rostra"):
        record = Pipeline([Exploding()], Policy()).run(submission(secret_text))
    assert record.verdict is Action.HOLD and record.phase == "exploding"
    assert "exploding" in caplog.text and "RuntimeError" in caplog.text
    assert secret_text not in caplog.text


def test_policy_settings_are_checked() -> None:
    for bad, message in [
        ({"premoderation": "sometimes"}, "premoderation must be one of"),
        ({"toxicity": {"hold": 3}}, "toxicity.hold must be between"),
        ({"toxicity": {"categories": {"rudeness": 0.2}}}, "not one of"),
        ({"spam": []}, "spam must be an object"),
        ({"colour": "red"}, "unknown setting"),
        ({"duplicates": {"similarity": "high"}}, "must be a number"),
    ]:
        with pytest.raises(PolicyError, match=message):
            Policy.from_settings(bad)
    policy = Policy.from_settings({"toxicity": {"hold": 0.6, "reject": None}})
    assert policy.toxicity.hold == 0.6 and policy.toxicity.reject is None


@pytest.mark.parametrize(
    "body",
    [
        "",
        " \n\t ",
        "a" * 200_000,
        "word " * 40_000,
        "\x00\x01\x02\x7f binary \ufffd\ufffd",
        "Ѕһіt mixed ѕcript wοrds with Ελληνικά and العربية and 中文 " * 30,
        "\U0001f600" * 5000,
        "a.b." * 20_000,
        "x@" * 20_000,
    ],
)
def test_bad_input_never_crashes(default: Pipeline, body: str) -> None:
    record = default.run(submission(body, None))
    assert record.verdict in set(Action)
    assert all(0.0 <= v <= 1.0 for k, v in record.scores.items() if k != "similarity")
    assert record.facts["ms"] < 5000


def site(moderation: dict[str, object]) -> Site:
    return Site(7, "news", "News", (), SiteSettings(moderation=moderation))


def draft(s: Site, body: str, reader: str | None = "reader-key") -> Draft:
    return Draft(s, body, "Ann", Author(reader_key=reader), False, False, thread_external_id="t")


def test_moderator_maps_verdicts_and_remembers(caplog: pytest.LogCaptureFixture) -> None:
    state = MemoryState()
    moderator = PipelineModerator(state, address_key=b"k" * 32, clock=lambda: NOW)
    s = site({})
    civil = moderator.decide(draft(s, CIVIL))
    assert civil.status is CommentStatus.PUBLISHED and civil.language == "en"
    assert civil.record is not None and json.loads(civil.record)["verdict"] == "publish"
    assert civil.message is None

    # The decision says what to keep; the comment's transaction keeps it (here, the state).
    memory = civil.memory
    assert memory is not None and memory.fingerprint is not None
    assert (memory.site_id, memory.author_key, memory.at) == (s.id, "reader-key", NOW)
    assert memory.outcome is CommentStatus.PUBLISHED
    # Deciding itself remembered nothing: the same text is no repeat yet.
    assert moderator.decide(draft(s, CIVIL)).status is CommentStatus.PUBLISHED
    state.remember_moderation(memory, 1)
    again = moderator.decide(draft(s, CIVIL))
    assert again.status is CommentStatus.REJECTED and again.message
    # Held and rejected for their tone (fixed scores: the mapping is tested, not the model).
    other = "The ferry timetable is much clearer this year."
    held = moderator.decide(draft(site({"toxicity": {"classifier": fixed(0.6)}}), other))
    assert held.status is CommentStatus.PENDING and held.message is None
    rejected = moderator.decide(draft(site({"toxicity": {"classifier": fixed(0.995)}}), other))
    assert rejected.status is CommentStatus.REJECTED and rejected.message
    assert rejected.record is not None and json.loads(rejected.record)["phase"] == "toxicity"

    # Broken settings hold every comment (and say so once in the log), they never publish.
    broken = site({"word_lists": {"reject": ["[bad"]}})
    with caplog.at_level(logging.WARNING, logger="rostra"):
        for _ in range(3):
            held = moderator.decide(draft(broken, CIVIL, reader="r2"))
            assert held.status is CommentStatus.PENDING
    assert held.record is not None and "invalid moderation settings" in held.record
    assert caplog.text.count("moderation settings are invalid") == 1
