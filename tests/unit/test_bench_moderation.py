"""make bench's moderation quality scenario turns ``rostra moderation eval``'s targets into the
bench's PASS / FAIL / SKIP lines and a table (bench/moderation_eval.py), from a hand-made report:
the eval's own figures are tested in tests/moderation/test_eval_report.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
try:
    import moderation_eval
finally:
    sys.path.remove(str(ROOT / "bench"))


def target(section: str, group: str, figure: str, value: float | None, goal: float,
           at_least: bool, met: bool | None, percent: bool = False) -> dict[str, Any]:  # fmt: skip
    return {"section": section, "group": group, "figure": figure, "value": value, "goal": goal,
            "at_least": at_least, "met": met, "percent": percent}  # fmt: skip


REPORT = {
    "targets": [
        target("news comments", "en", "recall", 0.95, 0.9, True, True),
        target("news comments", "fr", "civil held", 0.205, 0.1, False, False, True),
        target("news comments", "fr", "ROC-AUC", 0.947, 0.95, True, False),
        target("spam", "all", "spam stopped", 0.954, 0.95, True, True, True),
        target("bias (labelled set)", "named · da", "civil held", None, 0.05, False, None, True),
    ],
    "functional": {"categories": {"quotes": {"n": 100, "right": 0.18}}},
}


def test_each_section_of_the_eval_is_one_line_naming_its_misses() -> None:
    lines = moderation_eval.targets({"moderation": {"seconds": 9.5, "report": REPORT}})
    assert lines == [
        {
            "verdict": "FAIL",
            "text": "moderation quality, news comments: 1 of 3 met; missed: fr civil held "
            "20.5 % (≤ 10 %), fr ROC-AUC 0.947 (≥ 0.95)",
        },
        {"verdict": "PASS", "text": "moderation quality, spam: 1 of 1 met"},
        {"verdict": "SKIP", "text": "moderation quality, bias (labelled set): 0 of 0 met"},
    ]


def test_a_run_without_the_eval_or_with_a_failed_one_is_skip() -> None:
    assert moderation_eval.targets({}) == [
        {"verdict": "SKIP", "text": "moderation quality (not measured)"}
    ]
    failed = {"moderation": {"error": "exit status 2 (bench/work/logs/moderation-eval.log)"}}
    assert moderation_eval.targets(failed)[0]["verdict"] == "SKIP"
    assert moderation_eval.sections(failed) == [] and moderation_eval.sections({}) == []


def test_the_table_lists_every_target_and_the_categories() -> None:
    lines = moderation_eval.sections({"moderation": {"seconds": 9.5, "report": REPORT}})
    assert "| news comments | fr | civil held | 20.5 % | ≤ 10 % | ✗ |" in lines
    assert "| news comments | en | recall | 0.950 | ≥ 0.90 | ✓ |" in lines
    assert "| bias (labelled set) | named · da | civil held | – | ≤ 5 % | – |" in lines
    assert "| quotes | 100 | 18.0 % |" in lines
    assert sum(line.startswith("| ") and "|---" not in line for line in lines) == 1 + 5 + 1 + 1
