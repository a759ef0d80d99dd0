"""make bench's goal for posting with notifications on (bench/report.py): the share of posting
without notifications is read from the median of the pairs measured in turns when there are
several, from the one pair otherwise; hand-made cells, so the arithmetic is what is tested."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
try:
    import report
finally:
    sys.path.remove(str(ROOT / "bench"))


def cell(rps: float, **extra: Any) -> dict[str, Any]:
    return {"scenario": "post", "conc": 8, "rps": rps, "p99_ms": 40.0, "errors": {},
            "answered": True, **extra}  # fmt: skip


def test_one_pair_decides_alone() -> None:
    line = report._notify_posting(cell(850.0, followers=1), cell(1000.0))
    assert line["verdict"] == "FAIL"
    assert "85% of posting without" in line["text"]


def test_the_median_of_the_pairs_decides_and_each_is_listed() -> None:
    # The recorded pair is the slow one (80 %); the two later pairs give 95 % and 97 %.
    rounds = [{"plain": 1000.0, "notified": 800.0}, {"plain": 900.0, "notified": 855.0},
              {"plain": 1000.0, "notified": 970.0}]  # fmt: skip
    line = report._notify_posting(cell(800.0, rounds=rounds), cell(1000.0))
    assert line["verdict"] == "PASS", line
    assert "95% of posting without" in line["text"]
    assert "median of 3 pairs measured in turns (80%, 95%, 97%)" in line["text"]


def test_a_failed_request_fails_the_goal_whatever_the_share() -> None:
    rounds = [{"plain": 1000.0, "notified": 990.0}, {"plain": 1000.0, "notified": 995.0}]
    failed = cell(990.0, rounds=rounds, errors={"status": 1})
    assert report._notify_posting(failed, cell(1000.0))["verdict"] == "FAIL"
