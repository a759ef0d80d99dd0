"""The borderline band as a site's policy: publish, flag (publish and list for review) or hold.

Every test plugs in a classifier with fixed scores (``tests.moderation.plugins.fixed``) that holds
from 0.5, so each reads "toxicity 0.4 is in the band", whatever the shipped model would make of
the sentence. What the desk does with a flagged comment is tested in
tests/web/test_desk_review_queue.py.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from rostra.cli import main
from rostra.moderation.phases.toxicity import DEFAULT_BORDERLINE_FROM
from rostra.moderation.pipeline import build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action, ModerationRecord, PolicyError
from rostra.moderation.state import MemoryState
from tests.moderation.helpers import CIVIL, submission
from tests.moderation.plugins import fixed


def judge(toxicity: float, text: str = CIVIL, **settings: Any) -> ModerationRecord:
    """``text`` through the default pipeline, scored ``toxicity`` by a classifier holding from
    0.5; ``settings`` go into the site's ``toxicity`` section."""
    policy = Policy.from_settings({"toxicity": {"classifier": fixed(toxicity), **settings}})
    pipeline = build_pipeline(policy, MemoryState(), rate_limits=False)
    return pipeline.run(submission(text, "band-reader"))


def outcome(record: ModerationRecord) -> str:
    return "flag" if record.flagged else record.verdict.value


def test_the_default_band_flags_from_0_30_to_the_hold_threshold() -> None:
    assert DEFAULT_BORDERLINE_FROM == 0.30
    assert [outcome(judge(s)) for s in (0.1, 0.29, 0.30, 0.45, 0.4999, 0.5, 0.995)] == [
        "publish",
        "publish",
        "flag",
        "flag",
        "flag",
        "hold",
        "reject",
    ]
    record = judge(0.42)
    assert record.verdict is Action.PUBLISH  # readers see it at once
    assert record.review == (
        "toxicity 0.42 in the borderline band 0.30 to 0.50: published, for a moderator to review"
    )
    stored = json.loads(record.to_json())
    assert stored["verdict"] == "publish" and stored["review"] == record.review
    assert stored["facts"]["borderline"] == "flag" and stored["scores"]["toxicity"] == 0.42
    # Outside the band nothing is said about it.
    assert "review" not in json.loads(judge(0.1).to_json())
    assert "borderline" not in judge(0.1).facts


@pytest.mark.parametrize(
    ("action", "expected"), [("publish", "publish"), ("flag", "flag"), ("hold", "hold")]
)
def test_each_action_in_the_band_and_scores_outside_it_unchanged(
    action: str, expected: str
) -> None:
    band = {"from": 0.2, "action": action}
    assert outcome(judge(0.35, borderline=band)) == expected
    assert outcome(judge(0.2, borderline=band)) == expected
    # Below the band, and from the hold threshold up, as without it.
    assert outcome(judge(0.19, borderline=band)) == "publish"
    assert outcome(judge(0.6, borderline=band)) == "hold"
    assert outcome(judge(0.995, borderline=band)) == "reject"


def test_a_band_hold_says_why_and_is_a_nudge() -> None:
    policy = Policy.from_settings(
        {"toxicity": {"classifier": fixed(0.4), "borderline": {"action": "hold"}}}
    )
    record = build_pipeline(policy, MemoryState(), rate_limits=False).run(
        submission(CIVIL, "band-reader")
    )
    assert record.verdict is Action.HOLD and record.phase == "toxicity"
    assert record.reason == "toxicity 0.40 in the borderline band 0.30 to 0.50: the site holds it"
    assert not record.flagged
    assert policy.nudges(record)  # rewording can change it, as with any toxicity hold


def test_the_band_ends_at_the_sites_own_hold_and_the_short_comment_hold() -> None:
    assert outcome(judge(0.35, hold=0.4)) == "flag"
    assert outcome(judge(0.4, hold=0.4)) == "hold"
    # A site holding below the default start has an empty band, not an error.
    assert outcome(judge(0.28, hold=0.29)) == "publish"
    # Short comments are held from 0.5 only when that is above ``hold``: their band goes up too.
    assert outcome(judge(0.45, "Five words and no more", hold=0.4)) == "flag"


def test_a_hold_by_another_check_or_premoderation_wins_over_the_flag() -> None:
    policy = Policy.from_settings({"premoderation": "all", "toxicity": {"classifier": fixed(0.4)}})
    record = build_pipeline(policy, MemoryState(), rate_limits=False).run(
        submission(CIVIL, "band-reader")
    )
    assert record.verdict is Action.HOLD and record.phase == "premoderation"
    assert not record.flagged and "review" not in json.loads(record.to_json())


@pytest.mark.parametrize("off", [False, {"action": "publish"}, {"from": 0.1, "action": "publish"}])
def test_a_site_switches_the_band_off(off: object) -> None:
    record = judge(0.45, borderline=off)
    assert outcome(record) == "publish" and record.review == ""
    assert "borderline" not in record.facts


@pytest.mark.parametrize(
    ("band", "message"),
    [
        (
            {"from": 0.6},
            "moderation.toxicity.borderline.from (0.60) must be below the hold threshold (0.50)",
        ),
        (
            {"from": 0.5, "action": "hold"},
            "moderation.toxicity.borderline.from (0.50) must be below the hold threshold (0.50)",
        ),
        (
            {"action": "review"},
            "moderation.toxicity.borderline.action must be one of publish, flag, hold",
        ),
        ({"action": 1}, "moderation.toxicity.borderline.action must be one of publish, flag, hold"),
        ({"from": "0.3"}, "moderation.toxicity.borderline.from must be a number"),
        ({"from": True}, "moderation.toxicity.borderline.from must be a number"),
        ({"from": 1.5}, "moderation.toxicity.borderline.from must be between 0 and 1"),
        ({"to": 0.4}, "moderation.toxicity.borderline has unknown setting(s): to"),
        ("flag", "moderation.toxicity.borderline must be an object or false"),
        (0.3, "moderation.toxicity.borderline must be an object or false"),
    ],
)
def test_bad_band_settings_are_refused_by_name(band: object, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        judge(0.1, borderline=band)
    assert str(caught.value) == message


def test_a_band_above_the_sites_hold_is_refused_when_the_settings_are_read() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_settings({"toxicity": {"hold": 0.3, "borderline": {"from": 0.3}}})
    assert str(caught.value) == (
        "moderation.toxicity.borderline.from (0.30) must be below the hold threshold (0.30)"
    )


def test_rostra_moderate_shows_the_flag(tmp_path: Path) -> None:
    source = tmp_path / "comments.jsonl"
    source.write_text(json.dumps({"id": "b1", "body": CIVIL}) + "\n", encoding="utf-8")

    def moderate(toxicity: float, band: object = None) -> dict[str, Any]:
        section: dict[str, object] = {"classifier": fixed(toxicity)}
        if band is not None:
            section["borderline"] = band
        out, err = io.StringIO(), io.StringIO()
        settings = json.dumps({"toxicity": section})
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["moderate", str(source), "--settings", settings])
        assert code == 0, err.getvalue()
        line: dict[str, Any] = json.loads(out.getvalue())
        return line

    flagged = moderate(0.4)
    assert flagged["verdict"] == "publish"
    assert flagged["review"] == (
        "toxicity 0.40 in the borderline band 0.30 to 0.50: published, for a moderator to review"
    )
    assert "review" not in moderate(0.1)
    assert "review" not in moderate(0.4, False)
    held = moderate(0.4, {"action": "hold"})
    assert held["verdict"] == "hold" and "borderline band" in held["reason"]
