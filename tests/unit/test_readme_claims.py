"""docs/readme-claims.md maps every README claim to the tests that enforce it; this keeps the
map honest.

- Every ``##``/``###`` heading of README.md has its section in the map (and the text before the
  first one has "Opening"), and the map has no section the README lost: a new README section
  without a map entry fails here.
- Every node id the map names exists: the file, and in it the test function, or the class and
  its method (found with ``ast``, so nothing is imported or run); a parametrised test is named by
  its base name.
- No row leaves its "Enforced by" column empty: it names a test, or says ``none:`` and why.
- No row is ``pending:`` (a test someone is still writing): an honest map fails until it names
  the test.
- Every file of this repository the README names exists.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAP = ROOT / "docs" / "readme-claims.md"
OPENING = "Opening"
HEADING = re.compile(r"^(##|###) (.+?)\s*$")
NODE_ID = re.compile(r"`(tests/[\w/.-]+\.py(?:::\w+)+)(?:\[[^\]`]*\])?`")
# A reason is a sentence, not a word.
MIN_REASON_WORDS = 5


@dataclass(frozen=True)
class Row:
    section: str
    line: int
    claim: str
    enforced_by: str

    def where(self) -> str:
        return f"docs/readme-claims.md:{self.line} ({self.section}): {self.claim[:60]}"


def headings(text: str) -> list[str]:
    """The ``##`` and ``###`` headings outside fenced code, in order."""
    found: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.append(match.group(2))
    return found


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@cache
def rows() -> tuple[Row, ...]:
    """Every claim row of the map, with its section (header and rule rows left out)."""
    found: list[Row] = []
    section = ""
    for number, line in enumerate(MAP.read_text("utf-8").splitlines(), start=1):
        if match := HEADING.match(line):
            section = match.group(2)
        elif line.startswith("|") and section:
            parts = cells(line)
            if parts[0] == "Claim" or set("".join(parts)) <= set("-: "):
                continue
            assert len(parts) == 3, f"docs/readme-claims.md:{number}: {len(parts)} cells"
            found.append(Row(section, number, parts[0], parts[1]))
    return tuple(found)


def test_every_readme_section_has_its_place_in_the_map() -> None:
    in_readme = headings(README.read_text("utf-8"))
    in_map = headings(MAP.read_text("utf-8"))
    missing = [h for h in in_readme if h not in in_map]
    assert not missing, f"README sections without an entry in docs/readme-claims.md: {missing}"
    stale = [h for h in in_map if h not in in_readme and h != OPENING]
    assert not stale, f"docs/readme-claims.md has sections the README no longer has: {stale}"
    assert in_map[0] == OPENING and [h for h in in_map if h != OPENING] == in_readme, (
        "the map's sections follow the README's order"
    )
    with_rows = {row.section for row in rows()}
    assert set(in_map) <= with_rows, f"sections without a claim: {set(in_map) - with_rows}"


def test_the_checker_reads_the_map_and_the_readme() -> None:
    """What the other tests rely on: the parsers find what is there."""
    assert len(headings(README.read_text("utf-8"))) >= 10
    assert len(rows()) >= 100
    assert headings("## A\n```\n## not a heading\n```\n### B\n") == ["A", "B"]
    row = Row("S", 1, "c", "`tests/unit/test_readme_claims.py::test_a[x]`, `tests/a.py::B::c`")
    assert NODE_ID.findall(row.enforced_by) == [
        "tests/unit/test_readme_claims.py::test_a",
        "tests/a.py::B::c",
    ]


@cache
def defined_in(path: Path) -> frozenset[str]:
    """``name`` for each test function and ``Class::name`` for each method, at module level."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    names: set[str] = set()
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, functions):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{m.name}" for m in node.body if isinstance(m, functions))
    return frozenset(names)


def missing_node(node_id: str) -> str | None:
    """Why ``node_id`` names no test, or None when it does."""
    path, _, name = node_id.partition("::")
    file = ROOT / path
    if not file.is_file():
        return f"{path} does not exist"
    if name not in defined_in(file):
        return f"{path} has no {name}"
    if not name.rsplit("::", 1)[-1].startswith("test"):
        return f"{name} is not a test"
    return None


def test_every_test_the_map_names_exists() -> None:
    problems = []
    named = 0
    for row in rows():
        for node_id in NODE_ID.findall(row.enforced_by):
            named += 1
            if (why := missing_node(node_id)) is not None:
                problems.append(f"{row.where()}: {why}")
    assert named >= 100
    assert not problems, "\n".join(problems)


def test_every_row_names_a_test_or_says_why_not() -> None:
    empty = []
    for row in rows():
        if NODE_ID.search(row.enforced_by) or "pending:" in row.enforced_by:
            continue
        reason = row.enforced_by.partition("none:")[2].split()
        if not row.enforced_by.startswith("none:") or len(reason) < MIN_REASON_WORDS:
            empty.append(row.where())
    assert not empty, "rows naming no test and giving no reason (none: …):\n" + "\n".join(empty)


def test_no_claim_is_left_pending() -> None:
    pending = [
        f"{row.where()} -> {row.enforced_by}" for row in rows() if "pending:" in row.enforced_by
    ]
    assert not pending, f"{len(pending)} claims still wait for their test:\n" + "\n".join(pending)


# Paths in README.md that name files of this repository (links, and code spans that start with
# one of its folders); the README's other code spans are URLs, commands and settings.
LINK = re.compile(r"\]\(([^)#:]+)(?:#[^)]*)?\)")
SPAN = re.compile(r"`((?:src|docs|bench|training|tests|scripts)/[^`\s<>…]+|LICENSE)`")


def test_every_file_the_readme_names_exists() -> None:
    text = README.read_text("utf-8")
    named = set(LINK.findall(text)) | set(SPAN.findall(text))
    assert {"training/NOTES.md", "bench/results/latest.md", "LICENSE"} <= named
    absent = []
    for path in sorted(named):
        target = ROOT / path
        # "docs/adr/0002" names the decision record by its number.
        if not target.exists() and not list(target.parent.glob(target.name + "-*")):
            absent.append(path)
    assert not absent, f"README.md names files that do not exist: {absent}"
