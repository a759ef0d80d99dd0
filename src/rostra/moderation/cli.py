"""Moderation commands: ``rostra moderate FILE.jsonl`` and ``rostra moderation eval``.

``moderate`` reads one JSON object per line (``{"id", "body"}``, optionally ``"author"``,
``"parent"``, ``"thread"``), treats the comments as posted in that order to one site with the
default policy (so repeats and near-duplicates are caught, and an author's rejections count
against their next comments), and writes one JSON object per line: ``{"id", "verdict",
"language", "scores", "phase", "reason"}``, plus ``"review"`` (why) for a comment published but
flagged for the desk's "To review" queue (the borderline band). Rate limits are left out: a file
has no posting times. A line ``{"id", "decision": "approve" | "reject"}`` is a moderator's
decision on an earlier line's comment (the latest with that ``"id"``): it is learnt as the desk's
decisions are, and later lines are moderated with it (see ``rostra.moderation.decisions``).
A malformed line, or a decision naming no earlier line, is reported on standard error with its
number, the others are still moderated, and the command then exits with status 2.

``moderation eval`` reports, at the default policy (or ``--settings``), on the labelled set (by
default the held-out set shipped with Rostra): precision, recall, F1, ROC-AUC and civil comments
held per language, for news-style comments per language and per source (each public test split
per language); the shipped HateCheck functional tests per category (counter-speech, quotes,
negation, threats, slurs, …); identity-term bias (subgroup, BPSN and BNSP ROC-AUC and civil
comments held, for comments naming religions, peoples, nationalities or migrants) on each set;
spam on the shipped spam set (its test split unless ``--spam-split`` says otherwise); and each
of issue 11's targets, met or missed (``rostra.moderation.evaluation`` has the details).
``--no-functional`` and ``--no-spam`` leave their sets out, and so does ``--data`` without
``--functional-data`` or ``--spam-data``; ``--json`` prints the same figures as one JSON object.
The shipped sets take a minute or so, so the command shows its progress on standard error
(``--quiet`` keeps it silent): one line rewritten in place on a terminal, a line every tenth of
the way otherwise (a CI log).

This module is imported by ``rostra.cli`` at start-up, so it imports the models only when a
command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rostra.moderation import evaluation

Args = argparse.Namespace
MAX_ID_CHARS = 200
DECISIONS_HELP = """\
moderators' decisions:
  A line {"id": ID, "decision": "approve" | "reject"} is a moderator's decision on
  the comment of the latest EARLIER line with the same "id" (the same JSON value:
  1 and "1" differ). It is learnt as the desk's decisions are: later comments that
  nearly repeat an approved one are no longer held by the toxicity model alone,
  and those that nearly repeat a rejected one are held. It prints
  {"id", "decision", "learnt"}. A decision naming an id that no earlier line has
  (unknown, or only on a later line) is reported on standard error with its line
  number, like a malformed line; the exit status is then 2.
  {"learning": {"enabled": false}} in --settings learns nothing.
"""


def register(sub: Any) -> None:
    """Add the moderation commands to ``rostra``'s sub-command parser."""
    moderate = sub.add_parser(
        "moderate",
        help="moderate a JSONL file of comments with the default policy",
        description="Moderate comments read from a JSONL file ('-' for standard input).",
        epilog=DECISIONS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    moderate.add_argument("file", help="JSONL: one {id, body[, author, parent, thread]} a line")
    moderate.add_argument("--output", "-o", help="write results here (default: standard output)")
    moderate.add_argument(
        "--settings", help="a site's moderation settings as a JSON object (default: none)"
    )
    moderate.set_defaults(func=cmd_moderate)

    moderation = sub.add_parser("moderation", help="moderation tools")
    msub = moderation.add_subparsers(dest="moderation_command", required=True)
    ev = msub.add_parser(
        "eval",
        help="moderation quality per language, source, HateCheck category, identity subgroup "
        "and spam, against the targets",
    )
    ev.add_argument(
        "--data",
        help="labelled JSONL {text, toxic, lang[, source, label]} (default: the shipped set)",
    )
    ev.add_argument("--settings", help="moderation settings as a JSON object")
    ev.add_argument(
        "--by-source", action="store_true", help="kept for old scripts: the table is always shown"
    )
    ev.add_argument("--quiet", "-q", action="store_true", help="no progress on standard error")
    ev.add_argument(
        "--functional-data",
        help="functional tests, JSONL {text, toxic, lang, functionality} (default: shipped)",
    )
    ev.add_argument("--no-functional", action="store_true", help="leave out the functional tests")
    ev.add_argument(
        "--spam-data", help="labelled JSONL {text, spam, lang, kind, split} (default: shipped)"
    )
    ev.add_argument(
        "--spam-split",
        choices=("test", "dev", "all"),
        default="test",
        help="rows of the spam set to measure (default: test, never used to tune the rules)",
    )
    ev.add_argument("--no-spam", action="store_true", help="leave out the spam section")
    ev.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ev.set_defaults(func=cmd_eval)


def _settings(raw: str | None) -> dict[str, object]:
    from rostra.config import json_object_option

    return json_object_option(raw) if raw else {}


@contextlib.contextmanager
def _open_in(name: str) -> Iterator[IO[bytes]]:
    # Bytes, decoded line by line: one line that is not UTF-8 must not stop the others.
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        fh = open(name, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ValueError(f"cannot read {name}: {exc.strerror}") from exc
    with fh:
        yield fh


@contextlib.contextmanager
def _open_out(name: str | None) -> Iterator[IO[str]]:
    if not name:
        yield sys.stdout
        return
    with open(name, "w", encoding="utf-8") as fh:
        yield fh


class _LineError(ValueError):
    pass


def _parse(line: str) -> tuple[object, str, str | None, bool, str]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _LineError(f"not valid JSON ({exc.msg}, column {exc.colno})") from None
    except RecursionError:
        raise _LineError("not valid JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise _LineError("not a JSON object")
    cid = data.get("id")
    if isinstance(cid, bool) or not isinstance(cid, str | int) or cid == "":
        raise _LineError('"id" must be a non-empty string or a number')
    if isinstance(cid, str) and len(cid) > MAX_ID_CHARS:
        raise _LineError(f'"id" is longer than {MAX_ID_CHARS} characters')
    body = data.get("body")
    if not isinstance(body, str):
        raise _LineError('"body" must be a string')
    author = data.get("author")
    if author is not None and not isinstance(author, str):
        raise _LineError('"author" must be a string')
    parent = data.get("parent")
    if parent is not None and (isinstance(parent, bool) or not isinstance(parent, str | int)):
        raise _LineError('"parent" must be a string or a number')
    thread = data.get("thread")
    if thread is not None and not isinstance(thread, str):
        raise _LineError('"thread" must be a string')
    return cid, body, author or None, parent is not None, thread or ""


def cmd_moderate(args: Args) -> int:
    from rostra.domain.errors import RostraError
    from rostra.domain.models import SiteSettings
    from rostra.domain.rules import validate_body
    from rostra.moderation.decisions import DecisionError, DeskReplay, decision_of
    from rostra.moderation.phases.duplicates import fingerprint_of
    from rostra.moderation.pipeline import build_pipeline
    from rostra.moderation.policy import Policy
    from rostra.moderation.record import Submission
    from rostra.moderation.state import MemoryState

    settings = SiteSettings()
    state = MemoryState()
    policy = Policy.from_settings(_settings(args.settings))
    # Every comment sees the decisions of the lines before it.
    pipeline = build_pipeline(policy, state, rate_limits=False, learning_refresh=0)
    desk = DeskReplay(state, enabled=policy.enabled and policy.learning.enabled)
    errors = 0
    with _open_in(args.file) as src, _open_out(args.output) as out:
        for number, raw in enumerate(src, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                errors += 1
                print(f"rostra moderate: line {number}: not UTF-8 text", file=sys.stderr)
                continue
            if not line.strip():
                continue
            try:
                decided = decision_of(line)
                if decided is not None:
                    out.write(json.dumps(desk.decide(decided), ensure_ascii=False) + "\n")
                    continue
            except DecisionError as exc:
                errors += 1
                print(f"rostra moderate: line {number}: {exc}", file=sys.stderr)
                continue
            try:
                cid, raw_body, author, is_reply, thread = _parse(line)
                body = validate_body(raw_body, settings)
            except _LineError as exc:
                errors += 1
                print(f"rostra moderate: line {number}: {exc}", file=sys.stderr)
                continue
            except RostraError as exc:
                errors += 1
                print(f"rostra moderate: line {number}: {exc.message}", file=sys.stderr)
                continue
            now = datetime.now(UTC)
            key = (
                "b:" + hashlib.blake2b(author.encode(), digest_size=16).hexdigest()
                if author
                else None
            )
            submission = Submission(
                site_id=1,
                site_slug="batch",
                body=body,
                now=now,
                author_key=key,
                thread=thread,
                is_reply=is_reply,
            )
            record = pipeline.run(submission)
            desk.seen(cid, number, submission, record)
            fingerprint = fingerprint_of(submission)
            if fingerprint is not None:
                state.remember(1, key, fingerprint, number, now)
            if key is not None:
                state.note_outcome(1, key, record.verdict, now)
            result = {
                "id": cid,
                "verdict": record.verdict.value,
                "language": record.language,
                "scores": {k: round(v, 4) for k, v in record.scores.items()},
                "phase": record.phase,
                "reason": record.reason,
            }
            if record.flagged:  # published, and in the desk's "To review" queue
                result["review"] = record.review
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    if errors:
        print(f"rostra moderate: {errors} line(s) could not be moderated", file=sys.stderr)
        return 2
    return 0


class Progress:
    """How far ``moderation eval`` is, written to ``stream`` (see the module's doc)."""

    def __init__(self, total: int, stream: IO[str], clock: Callable[[], float]) -> None:
        self._total = total
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._in_place = stream.isatty()
        self._shown_at = self._started
        self._next_tenth = 1

    def __call__(self, done: int) -> None:
        now = self._clock()
        if self._in_place:
            if done < self._total and now - self._shown_at < 0.5:
                return
        elif done * 10 < self._next_tenth * self._total:
            return
        else:
            self._next_tenth = done * 10 // self._total + 1
        self._shown_at = now
        elapsed = now - self._started
        line = f"moderation eval: {done}/{self._total} comments ({done * 100 // self._total}%)"
        if done < self._total:
            left = elapsed / done * (self._total - done)
            line += f", {elapsed:.0f} s so far, about {left:.0f} s left"
        else:
            line += f", done in {elapsed:.1f} s"
        if self._in_place:
            end = "\n" if done >= self._total else ""
            self._stream.write(f"\r{line}\033[K{end}")
        else:
            self._stream.write(line + "\n")
        self._stream.flush()


def cmd_eval(args: Args) -> int:
    report = eval_report(args)
    if args.json:
        # In the report's order (categories, subgroups and targets as the text lists them).
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(report.text())
    return 0


def eval_report(args: Args) -> evaluation.Report:
    """The report ``rostra moderation eval`` prints: the sets its options name (the shipped ones
    by default), measured with the settings given."""
    from rostra.moderation import evaluation

    rows = evaluation.load(Path(args.data) if args.data else None)
    if not rows:
        raise ValueError("the labelled set is empty")
    # Measuring one's own set (--data) leaves the shipped sets out unless their flag asks.
    tests: list[evaluation.Labelled] = []
    if not args.no_functional and (args.functional_data or not args.data):
        tests = evaluation.load_functional(
            Path(args.functional_data) if args.functional_data else None
        )
    spam_rows: list[evaluation.SpamRow] = []
    if not args.no_spam and (args.spam_data or not args.data):
        spam_path = Path(args.spam_data) if args.spam_data else None
        spam_rows = evaluation.load_spam(spam_path, args.spam_split)
        if not spam_rows:
            raise ValueError(f"the spam set has no {args.spam_split} rows")
    total = len(rows) + len(tests) + len(spam_rows)
    progress = None if args.quiet else Progress(total, sys.stderr, time.monotonic)
    return evaluation.build(
        rows,
        tests,
        spam_rows,
        settings=_settings(args.settings),
        spam_split=args.spam_split,
        progress=progress,
    )
