"""README.md's Performance section gives the figures of the latest ``make bench`` run.

README.md ("Performance"): "Latest ``make bench`` (Rostra's JSON API; req/s at concurrency 1 /
16 / 64)", a table, then the targets of "this run (commit ...)" with their figures, and "the
latest table is bench/results/latest.md". Both files are parsed here: the README's table must be
the short table of bench/results/latest.md cell for cell, and the commit, the memory figures,
the posting rates and the ratios the README quotes must be those of that run. A new ``make
bench`` that changes latest.md fails this test until the README says what the new run measured.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = "| Scenario | Comments | Rostra req/s (c=1/16/64) |"


def short_table(text: str) -> list[list[str]]:
    """The rows of the table that starts with ``HEADER`` (header and rule left out)."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(HEADER))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([" ".join(c.split()) for c in line.strip().strip("|").split("|")])
    return rows


def readme_performance() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Performance", 1)[1].split("\n## ", 1)[0]


def latest() -> str:
    return (ROOT / "bench" / "results" / "latest.md").read_text(encoding="utf-8")


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_readme_table_is_the_latest_runs() -> None:
    readme = short_table(readme_performance())
    measured = short_table(latest())
    assert len(readme) >= 10
    assert readme == measured


def test_the_readme_quotes_the_latest_runs_commit_and_workers() -> None:
    readme = flat(readme_performance())
    commit = re.search(r"Targets, this run \(commit (\w+), (\d+) uvicorn workers", readme)
    assert commit, readme[:300]
    header = flat(latest().split("In short", 1)[0])
    assert f"({commit.group(1)};" in header
    assert f"with {commit.group(2)} workers" in header


def test_the_readme_quotes_the_latest_runs_figures() -> None:
    readme = flat(readme_performance())
    run = flat(latest())
    # Memory of the Rostra process tree.
    memory = re.search(r"(\d+) MB idle RSS, (\d+) MB peak", readme)
    assert memory
    row = re.search(r"\| Rostra \| \d+ \| (\d+) MB \| \d+ MB \| (\d+) MB \|", run)
    assert row and row.groups() == memory.groups()
    # The first page of 1,000 at c=64 against the bare ASGI app.
    first_page = r"p99 ([\d.]+) ms \(goal ≤ 50 ms\);? .*?"
    of_bare = r"([\d,]+) req/s = (\d+)% of the bare ASGI app's ([\d,]+)"
    quoted = re.search(first_page + of_bare, readme)
    measured = re.search(first_page + of_bare, run)
    assert quoted and measured
    assert quoted.groups() == measured.groups()
    # Posting, without and with moderation.
    posting = {
        "": r"moderation off \(as Isso\): (\d+) comments/s, p99 (\d+) ms",
        ", moderated": r"whole moderation pipeline on: (\d+) comments/s, p99 (\d+) ms",
    }
    for kind, pattern in posting.items():
        quoted = re.search(pattern, readme)
        assert quoted, kind
        measured = re.search(
            rf"posting \(Rostra JSON{kind}\) at c=8 on SQLite: (\d+) comments/s, p99 ([\d.]+) ms",
            run,
        )
        assert measured, kind
        assert measured.group(1) == quoted.group(1), kind
        assert round(float(measured.group(2))) == int(quoted.group(2)), kind


def test_the_lowest_ratio_to_isso_is_the_latest_runs() -> None:
    readme = flat(readme_performance())
    quoted = re.search(r"every read scenario of ≥ 100 comments: at least ×([\d,]+)", readme)
    assert quoted
    ratios = [
        int(r.replace(",", "")) for r in re.findall(r"lowest ratio ×([\d,]+)", flat(latest()))
    ]
    assert ratios and min(ratios) == int(quoted.group(1).replace(",", ""))
