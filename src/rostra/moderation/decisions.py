"""Moderators' decisions in ``rostra moderate``'s input: the desk replayed on a file.

A line ``{"id": ID, "decision": "approve" | "reject"}`` is a moderator's decision on the comment
of the latest *earlier* line whose ``"id"`` is the same JSON value (``1`` and ``"1"`` differ). It
is learnt as the desk's decisions are (:mod:`rostra.moderation.learning`), so the lines after it
are moderated with it; it prints ``{"id", "decision", "learnt"}`` (``learnt`` false when the
comment has no words to learn from, or the settings turn learning off). A decision naming an id
no earlier line has — unknown, or only on a later line — or a decision line with a ``"body"``
is an error naming the line, as a malformed line is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rostra.moderation.learning import LABELS, encode_signature
from rostra.moderation.phases.duplicates import fingerprint_of
from rostra.moderation.record import ModerationRecord, Submission
from rostra.moderation.state import LearntExample, MemoryState


class DecisionError(ValueError):
    """A decision line that cannot be applied; the message says why (the caller adds the line)."""


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision line, parsed."""

    cid: object
    label: str


@dataclass(frozen=True, slots=True)
class _Seen:
    line: int
    example: LearntExample | None  # None: no words to learn from


def decision_of(line: str) -> Decided | None:
    """The decision on ``line``, ``None`` when it is not a decision line (a comment, or not even
    JSON: the comment parser says what is wrong); :class:`DecisionError` when it is a bad one."""
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(data, dict) or "decision" not in data:
        return None
    label = data["decision"]
    if not isinstance(label, str) or label not in LABELS:
        raise DecisionError(f'"decision" must be one of {", ".join(map(repr, LABELS))}')
    if "body" in data:
        raise DecisionError('a decision line has no "body": it decides on an earlier line')
    cid = data.get("id")
    if isinstance(cid, bool) or not isinstance(cid, str | int) or cid == "":
        raise DecisionError('"id" must name an earlier line\'s "id"')
    return Decided(cid, label)


class DeskReplay:
    """The decisions of one ``rostra moderate`` run, learnt into its in-process state."""

    def __init__(self, state: MemoryState, *, site_id: int = 1, enabled: bool = True) -> None:
        self.state = state
        self.site_id = site_id
        self.enabled = enabled
        self._seen: dict[str, _Seen] = {}

    def seen(
        self, cid: object, line: int, submission: Submission, record: ModerationRecord
    ) -> None:
        """Remember what a decision on this comment would learn (never its text)."""
        probe = fingerprint_of(submission)
        example = None
        if probe is not None:
            tox = record.scores.get("toxicity")
            example = LearntExample("", encode_signature(probe.signature), tox)
        self._seen[_key(cid)] = _Seen(line, example)

    def decide(self, decided: Decided) -> dict[str, object]:
        """Learn ``decided``; the line to print. :class:`DecisionError` when it names no earlier
        line."""
        found = self._seen.get(_key(decided.cid))
        if found is None:
            raise DecisionError(
                f'"decision" names id {json.dumps(decided.cid, ensure_ascii=False)[:80]}, which '
                "no earlier line has (a decision follows the comment it decides)"
            )
        learnt = self.enabled and found.example is not None
        if learnt and found.example is not None:
            example = LearntExample(decided.label, found.example.signature, found.example.toxicity)
            self.state.learn(self.site_id, found.line, example)
        return {"id": decided.cid, "decision": decided.label, "learnt": learnt}


def _key(cid: object) -> str:
    return json.dumps(cid)
