"""``rostra moderate`` with moderators' decisions: the simulated stream of learning_stream.py,
and decision lines that name no earlier comment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.moderation import learning_stream
from tests.moderation.test_cli import run, run_process

PEST = "Kill the pests early: trap the rats and poison the moles before they wreck the allotment."


def moderate_lines(tmp_path: Path) -> learning_stream.Moderate:
    def moderate(lines: list[str], settings: dict[str, object]) -> list[dict[str, object]]:
        path = tmp_path / "stream.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        done = run("moderate", "--settings", json.dumps(settings), str(path))
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    return moderate


@pytest.mark.slow
def test_after_50_corrections_false_holds_of_the_kind_halve_and_recall_holds(
    tmp_path: Path,
) -> None:
    # The stand-in shared model holds every comment of the kind (and stays put when the shipped
    # model is retrained; bench/learning_bench.py measures the shipped one too).
    result = learning_stream.simulate(moderate_lines(tmp_path), learning_stream.STAND_IN)
    before, after = result.before, result.after
    assert result.approvals == learning_stream.CORRECTIONS
    assert before.kind_held == before.kind >= 150
    assert after.kind_held * 2 <= before.kind_held
    # What the README says (a change to the stream or the rules changes it there too).
    assert (before.kind_held, after.kind_held, before.kind) == (198, 44, 198)
    # Abusive comments, threats in the kind's own words among them, are stopped as before.
    assert after.abusive_stopped == before.abusive_stopped == before.abusive == 98
    assert after.civil_held <= before.civil_held
    # Every language of the stream gains, not one alone.
    for lang, (held, _of) in after.by_lang.items():
        assert held * 2 <= before.by_lang[lang][0], lang
    assert result.lifted == before.kind_held - after.kind_held


def test_a_decision_is_learnt_and_changes_the_next_comment(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "body": PEST},
        {"id": "a", "decision": "approve"},
        {"id": "b", "body": PEST.replace("moles", "voles")},
    ]
    settings = {"duplicates": {"enabled": False}}
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    done = run("moderate", "--settings", json.dumps(settings), str(path))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[0]["verdict"] == "hold" and out[0]["phase"] == "toxicity"
    assert out[1] == {"id": "a", "decision": "approve", "learnt": True}
    assert out[2]["verdict"] == "publish" and out[2]["phase"] == "learning"
    # With learning off, the decision is accepted and nothing is learnt.
    settings["learning"] = {"enabled": False}  # type: ignore[assignment]
    done = run("moderate", "--settings", json.dumps(settings), str(path))
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[1]["learnt"] is False and out[2]["verdict"] == "hold"


def test_decisions_naming_no_earlier_line_are_errors_naming_the_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "decision": "approve"}),  # line 1: names a later line
        json.dumps({"id": 1, "body": "A fine evening at the allotment show."}),
        json.dumps({"id": "1", "decision": "reject"}),  # line 3: "1" is not 1
        json.dumps({"id": 99, "decision": "approve"}),  # line 4: unknown
        json.dumps({"id": 1, "decision": "maybe"}),  # line 5: not a decision
        json.dumps({"id": 1, "decision": "approve", "body": "x"}),  # line 6
        json.dumps({"id": 1, "decision": "reject"}),  # line 7: fine
        json.dumps({"id": 2, "body": "🌱🌱🌱"}),
        json.dumps({"id": 2, "decision": "approve"}),  # line 9: nothing to learn, no error
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run_process("moderate", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if ": line " in line]
    assert [e.split(":")[1].strip() for e in errors] == [
        "line 1",
        "line 3",
        "line 4",
        "line 5",
        "line 6",
    ]
    assert "no earlier line" in errors[0] and "id 1" in errors[0]
    assert 'id "1"' in errors[1] and "id 99" in errors[2]
    assert "approve" in errors[3] and "body" in errors[4]
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o.get("decision") for o in out] == [None, "reject", None, "approve"]
    assert out[1]["learnt"] is True and out[3]["learnt"] is False


def test_help_says_how_a_decision_names_its_comment() -> None:
    done = run("moderate", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert '"decision": "approve" | "reject"' in text
    assert 'the latest EARLIER line with the same "id"' in text
