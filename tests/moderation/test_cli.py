"""``rostra moderate`` and ``rostra moderation eval`` as a user runs them.

Most calls go through ``rostra.cli.main`` in this process, with the real standard streams swapped
for buffers: the same parser, commands, exit codes and output, with the sentence model loaded
once per test worker instead of once per call. One test runs real subprocesses (``python -m
rostra``), so the way a user starts the command is covered too.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from rostra.cli import main
from rostra.moderation import evaluation
from rostra.moderation.cli import Progress

ROSTRA = [sys.executable, "-m", "rostra"]

LINES = [
    {
        "id": "c1",
        "body": "The tram extension will finally connect the hospital to the station.",
        "author": "ines",
    },
    {
        "id": "c2",
        "body": "The tram extension will finally connect the hospital to the station.",
        "author": "ines",
    },
    {
        "id": "c3",
        "body": "the TRAM extension will finally connect the hospital to the station!!",
        "author": "omar",
        "thread": "tram",
    },
    {"id": 4, "body": "You are a worthless moron and everyone here laughs at you.", "parent": "c1"},
    {
        "id": "c5",
        "body": "Merci pour cet article très clair sur le tramway.",
    },
    {"id": "c6", "body": "Gracias por explicar tan bien el recorrido del nuevo tranvía."},
]


@dataclass
class Done:
    """What a command run left: as ``subprocess.CompletedProcess`` has it."""

    returncode: int
    stdout: str
    stderr: str


def run(*args: str, stdin: str | None = None) -> Done:
    """``rostra ARGS`` in this process: its exit status and what it wrote to stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse refusing the arguments
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = saved_stdin
    return Done(code, out.getvalue(), err.getvalue())


def run_process(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m rostra ARGS`` as a user runs it: a real process."""
    return subprocess.run(
        [*ROSTRA, *args], input=stdin, capture_output=True, text=True, timeout=300, check=False
    )


def write_jsonl(path: Path, rows: list[object], extra: list[str] = ()) -> Path:  # type: ignore[assignment]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + list(extra)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_moderate_catches_repeats_and_toxicity(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", LINES)
    done = run("moderate", str(src))
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in results] == ["c1", "c2", "c3", 4, "c5", "c6"]
    for r in results:
        assert set(r) == {"id", "verdict", "language", "scores", "phase", "reason"}
    by_id = {r["id"]: r for r in results}
    assert by_id["c1"]["verdict"] == "publish" and by_id["c1"]["language"] == "en"
    assert by_id["c2"]["verdict"] == "reject" and by_id["c2"]["phase"] == "duplicates"
    assert by_id["c3"]["verdict"] == "hold" and by_id["c3"]["phase"] == "duplicates"
    assert by_id[4]["verdict"] == "hold" and by_id[4]["phase"] == "toxicity"
    assert by_id[4]["scores"]["toxicity"] > 0.5
    assert (by_id["c5"]["verdict"], by_id["c5"]["language"]) == ("publish", "fr")
    assert (by_id["c6"]["verdict"], by_id["c6"]["language"]) == ("publish", "es")
    # The output never repeats a comment's text.
    assert "worthless" not in done.stdout and "tram" not in done.stdout


def test_malformed_lines_are_named_and_the_rest_still_moderated(tmp_path: Path) -> None:
    src = write_jsonl(
        tmp_path / "in.jsonl",
        LINES[:1],
        extra=[
            "{not json",
            '["a", "list"]',
            '{"id": "x"}',
            '{"id": true, "body": "a boolean id"}',
            '{"id": "y", "body": "   "}',
            "",
            json.dumps({"id": "z", "body": "x" * 10_001}),
            '{"id": "ok", "body": "A last, perfectly ordinary comment about trams."}',
            "[" * 100_000,
        ],
    )
    out = tmp_path / "out.jsonl"
    done = run("moderate", str(src), "--output", str(out))
    assert done.returncode == 2
    assert done.stdout == ""
    errors = done.stderr.splitlines()
    assert errors[0].startswith("rostra moderate: line 2: not valid JSON")
    assert errors[1] == "rostra moderate: line 3: not a JSON object"
    assert errors[2] == 'rostra moderate: line 4: "body" must be a string'
    assert errors[3].startswith('rostra moderate: line 5: "id" must be')
    assert errors[4] == "rostra moderate: line 6: A comment cannot be empty."
    assert errors[5].startswith("rostra moderate: line 8: A comment can be at most")
    assert errors[6].startswith("rostra moderate: line 10: not valid JSON")
    assert errors[-1] == "rostra moderate: 7 line(s) could not be moderated"
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == ["c1", "ok"]


def test_moderate_reads_stdin_and_refuses_missing_files(tmp_path: Path) -> None:
    done = run("moderate", "-", stdin=json.dumps(LINES[0]) + "\n")
    assert done.returncode == 0 and json.loads(done.stdout)["verdict"] == "publish"
    done = run("moderate", str(tmp_path / "nope.jsonl"))
    assert done.returncode == 2 and "cannot read" in done.stderr
    bad = tmp_path / "bad.bin"
    good = [json.dumps(LINES[n], ensure_ascii=False).encode() for n in (0, 4)]
    bad.write_bytes(good[0] + b"\n\xff\xfe\x00garbage\n" + good[1] + b"\n")
    done = run("moderate", str(bad))
    assert done.returncode == 2 and "line 2: not UTF-8 text" in done.stderr
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["c1", "c5"]


def test_moderate_with_site_settings(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [LINES[0]])
    done = run("moderate", str(src), "--settings", '{"premoderation": "all"}')
    assert json.loads(done.stdout)["phase"] == "premoderation"
    done = run("moderate", str(src), "--settings", '{"word_lists": {"reject": ["[x"]}}')
    assert done.returncode == 2
    assert "word_lists.reject.* entry 1" in done.stderr


def test_eval_on_a_small_labelled_set(tmp_path: Path) -> None:
    rows = [
        {
            "text": "Thank you for this clear and useful report on the new tram line.",
            "toxic": 0,
            "lang": "en",
        },
        {"text": "Great news for everyone who works at the hospital.", "toxic": 0, "lang": "en"},
        {
            "text": "You are a worthless moron and everyone here laughs at you.",
            "toxic": 1,
            "lang": "en",
        },
        {"text": "Shut up, you pathetic idiot.", "toxic": 1, "lang": "en"},
        {"text": "Merci pour cet article très clair sur le tramway.", "toxic": 0, "lang": "fr"},
        {"text": "Espèce d'abruti, tu racontes que des conneries.", "toxic": 1, "lang": "fr"},
    ]
    data = write_jsonl(tmp_path / "labelled.jsonl", rows)
    done = run_process("moderation", "eval", "--data", str(data))
    assert done.returncode == 0, done.stderr
    # The first table: per language (the other sections are in test_eval_report.py).
    first = done.stdout.split("\n\n## ", 1)[0]
    table = [line for line in first.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| language | n | toxic | precision | recall | F1 | ROC-AUC |")
    cells = {line.split("|")[1].strip(): line.split("|")[2:-1] for line in table[1:]}
    assert set(cells) == {"en", "fr", "all"}
    assert cells["en"][0].strip() == "4" and cells["en"][1].strip() == "2"
    assert cells["en"][5].strip() == "1.000"  # ROC-AUC: every toxic row above every civil one
    # Not a terminal: a progress line each tenth of the way, ending with the whole set done.
    shown = done.stderr.splitlines()
    assert shown and all(line.startswith("moderation eval: ") for line in shown)
    assert "6/6 comments (100%), done in" in shown[-1]
    assert "\r" not in done.stderr
    quiet = run("moderation", "eval", "--data", str(data), "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    first = quiet.stdout.split("\n\n## ", 1)[0]
    assert [line for line in first.splitlines() if line.startswith("| ")] == table

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no label"}\n')
    done = run("moderation", "eval", "--data", str(bad))
    assert done.returncode == 2 and "line 1" in done.stderr


SECTIONS = (
    "## Moderation quality at the default policy",
    "## News-style comments per language",
    "## By source",
    "## Functional tests per category (HateCheck, Multilingual HateCheck)",
    "## Identity-term bias",
    "### On the labelled set",
    "### On the functional tests",
    "## Spam (test split of the spam set)",
    "## Targets",
)


@pytest.mark.slow
def test_eval_on_the_shipped_set(shipped_report: evaluation.Report) -> None:
    # What the command prints with no options (printing itself: the small-set tests above).
    out = shipped_report.text()
    assert [s for s in SECTIONS if f"\n{s}\n" in f"\n{out}"] == list(SECTIONS)
    first = out.split("\n\n## ", 1)[0]
    langs = {
        line.split("|")[1].strip()
        for line in first.splitlines()
        if line.startswith("| ") and not line.startswith("| language")
    }
    assert {"ar", "da", "de", "en", "es", "fr", "ru", "all"} <= langs
    sources = out.split("## By source", 1)[1].split("\n## ", 1)[0]
    for split in ("civil_comments_toxic_spans (en)", "dkhate (da)", "germeval2018 (de)",
                  "mlma (ar)", "mlma (fr)", "russian_distorted_toxicity (ru)"):  # fmt: skip
        assert f"| {split} |" in sources, split
    functional = out.split("## Functional tests", 1)[1].split("\n## ", 1)[0]
    for category in ("counter-speech", "quotes", "negation", "threats", "slurs"):
        assert f"| {category} |" in functional, category
    bias = out.split("## Identity-term bias", 1)[1].split("\n## ", 1)[0]
    for subgroup in ("religion", "people", "nationality", "named"):
        assert f"| {subgroup} |" in bias, subgroup
    # Every target is listed, met or missed, and each news language has its three.
    listed = out.split("## Targets", 1)[1]
    for lang in ("ar", "de", "en", "es", "fr", "ru"):
        assert listed.count(f" news comments, {lang}: ") == 3, lang
    assert "spam, all: spam stopped" in listed and "spam, all: civil with links held" in listed
    # (--json on the shipped sets: tests/moderation/test_eval_report.py)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_eval_progress_on_a_terminal_rewrites_one_line() -> None:
    seconds = iter([0.0, 0.1, 0.7, 0.8, 2.0, 4.0])
    screen = Terminal()
    progress = Progress(4, screen, lambda: next(seconds))
    for done in (1, 2, 3, 4):  # at 0.1 s (too soon), 0.7, 0.8 (too soon), 2.0 (the end)
        progress(done)
    parts = screen.getvalue().split("\r")[1:]
    assert len(parts) == 2
    assert parts[0].startswith("moderation eval: 2/4 comments (50%), 1 s so far, about 1 s left")
    assert parts[1] == "moderation eval: 4/4 comments (100%), done in 2.0 s\033[K\n"
