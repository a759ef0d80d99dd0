"""The moderation quality scenario of ``make bench``: ``rostra moderation eval --json`` on the
measured code, its targets beside the bench's own, and a short table for the report.

bench/run.py runs it after the HTTP cells, with the servers stopped: the shipped held-out set,
functional tests and spam set (about 2,500 comments, 15-30 s on one core), in a process of its
own on ``source``'s Rostra (``--rostra-ref``'s export) ahead of the working tree's; its
standard error goes to bench/work/logs/moderation-eval.log. The results keep the eval's whole
JSON under ``moderation``; a run that failed keeps its reason, and its targets are SKIP.

    .venv/bin/python bench/moderation_eval.py     # the scenario alone, its table printed
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Json = dict[str, Any]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOGS = HERE / "work" / "logs"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
TIMEOUT_S = 600
#: The figures that are shares, for an eval whose targets do not say (before 3d69c59).
SHARES = ("civil held", "spam stopped", "civil with links held")
#: How many missed targets a section's line names (the JSON has them all).
MISSES_SHOWN = 4


def evaluate(source: Path | None = None, log: Callable[[str], None] = print) -> Json:
    """``rostra moderation eval --json -q`` on the shipped sets: ``{"seconds", "report"}``, or
    ``{"error"}`` saying why there is none."""
    LOGS.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    log("moderation eval: the shipped held-out set, functional tests and spam set")
    started = time.monotonic()
    with (LOGS / "moderation-eval.log").open("wb") as err:
        try:
            done = subprocess.run(
                [PYTHON, "-m", "rostra", "moderation", "eval", "--json", "-q"],
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                cwd=ROOT,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"no answer in {TIMEOUT_S} s"}
    seconds = round(time.monotonic() - started, 1)
    if done.returncode != 0:
        return {"error": f"exit status {done.returncode} (bench/work/logs/moderation-eval.log)"}
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return {"error": "its output was not JSON"}
    if "targets" not in report:  # a commit from before the eval had them (--rostra-ref)
        return {"error": "this Rostra's eval reports no targets"}
    for t in report["targets"]:  # and one from before they said which figures are shares
        t.setdefault("percent", t["figure"] in SHARES)
    return {"seconds": seconds, "report": report}


def _show(value: float | None, percent: bool, digits: int) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.{digits - 2}f} %" if percent else f"{value:.{digits}f}"


def targets(results: Json) -> list[Json]:
    """The eval's targets as the bench's lines, one per section of the eval: PASS when every
    measured target of it is met, FAIL naming the first misses, SKIP when not measured."""
    section = results.get("moderation")
    if section is None:
        return [{"verdict": "SKIP", "text": "moderation quality (not measured)"}]
    if "error" in section:
        return [{"verdict": "SKIP", "text": f"moderation quality: {section['error']}"}]
    by_section: dict[str, list[Json]] = {}
    for t in section["report"]["targets"]:
        by_section.setdefault(t["section"], []).append(t)
    out = []
    for name, items in by_section.items():
        measured = [t for t in items if t["met"] is not None]
        missed = [t for t in measured if not t["met"]]
        text = f"moderation quality, {name}: {len(measured) - len(missed)} of {len(measured)} met"
        if missed:
            shown = [
                f"{t['group']} {t['figure']} {_show(t['value'], t['percent'], 3)} "
                f"({'≥' if t['at_least'] else '≤'} {_show(t['goal'], t['percent'], 2)})"
                for t in missed[:MISSES_SHOWN]
            ]
            more = len(missed) - MISSES_SHOWN
            text += "; missed: " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        verdict = "SKIP" if not measured else ("FAIL" if missed else "PASS")
        out.append({"verdict": verdict, "text": text})
    return out


def sections(results: Json) -> list[str]:
    """Two tables: every target of the eval with its figure, and the functional tests' share
    judged right per category (nothing for a run without the eval)."""
    section = results.get("moderation")
    if section is None or "error" in section:
        return []
    report = section["report"]
    lines = [
        "",
        f"Moderation quality (`rostra moderation eval` on the shipped sets, {section['seconds']} s"
        "; its whole report is in the results JSON under `moderation`):",
        "",
        "| Section | group | figure | measured | goal | met |",
        "|---|---|---|---:|---:|:-:|",
    ]
    for t in report["targets"]:
        sign = "≥" if t["at_least"] else "≤"
        lines.append(
            f"| {t['section']} | {t['group']} | {t['figure']} "
            f"| {_show(t['value'], t['percent'], 3)} | {sign} {_show(t['goal'], t['percent'], 2)} "
            f"| {'–' if t['met'] is None else ('✓' if t['met'] else '✗')} |"
        )
    categories = report.get("functional", {}).get("categories", {})
    if categories:
        lines += [
            "",
            "HateCheck functional tests, share judged as labelled (abuse held, civil published):",
            "",
            "| Category | n | judged right |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {name} | {c['n']} | {_show(c['right'], True, 3)} |"
            for name, c in categories.items()
        ]
    return lines


if __name__ == "__main__":
    measured = {"moderation": evaluate()}
    print("\n".join(sections(measured)))
    for line in targets(measured):
        print(f"{line['verdict']} {line['text']}")
    sys.exit(0 if "error" not in measured["moderation"] else 1)
