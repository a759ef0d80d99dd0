"""What moderation phases see, say and write down: the submission, verdicts and the record.

A phase is a small callable: it reads a :class:`Submission`, may add scores and facts to the
:class:`ModerationRecord`, and returns a :class:`Verdict` or ``None`` (no objection). The record is
what gets stored with the comment for the moderators (never the body itself) and what the batch
command prints.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Protocol

from rostra.moderation.normalize import normalize, skeleton
from rostra.services.moderation_port import RateCount

#: Phases read at most this much of a body: enough for every signal, bounded cost on huge input.
MAX_SCAN_CHARS = 20_000


class Action(enum.StrEnum):
    """What happens to a comment, from mildest to most severe."""

    PUBLISH = "publish"
    HOLD = "hold"
    REJECT = "reject"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Action.PUBLISH: 0, Action.HOLD: 1, Action.REJECT: 2}


@dataclass(frozen=True, slots=True)
class Verdict:
    """A phase's objection.

    ``reason`` is for moderators (plain English, never any of the comment's text). ``message`` is
    a gettext message id (marked with ``N_``) shown to the author when the comment is rejected.
    ``retry_after`` marks a rate limit: nothing is stored and the author may try again later.
    """

    action: Action
    reason: str
    message: str | None = None
    retry_after: int | None = None


@dataclass(frozen=True, slots=True)
class PhaseVerdict:
    """A verdict as recorded, with the phase that gave it."""

    phase: str
    action: Action
    reason: str


class Submission:
    """One new or edited comment, as every phase sees it.

    The normalised forms of the body are computed once, on first use, and shared by the phases.
    """

    def __init__(
        self,
        *,
        site_id: int,
        body: str,
        now: datetime,
        site_slug: str = "",
        author_key: str | None = None,
        client_key: str | None = None,
        thread: str = "",
        is_reply: bool = False,
        is_edit: bool = False,
        comment_id: int | None = None,
        default_language: str = "en",
        anonymous: bool = False,
        deferred_counts: list[RateCount] | None = None,
    ) -> None:
        self.site_id = site_id
        self.site_slug = site_slug
        self.body = body
        self.now = now
        self.author_key = author_key
        self.client_key = client_key
        self.thread = thread
        self.is_reply = is_reply
        self.is_edit = is_edit
        self.comment_id = comment_id
        self.default_language = default_language
        # Sent without a reader token: ``author_key`` was minted for this very comment.
        self.anonymous = anonymous
        # Values one phase computes and another reuses (e.g. the text's fingerprint).
        self.cache: dict[str, object] = {}
        # ``None``: the rate limits count a comment at once (a batch run). A list: they only read
        # the counters and add here what a comment they let through counts under, for its own
        # transaction to count (see rostra.moderation.moderator); a refused one counts at once.
        self.deferred_counts = deferred_counts

    @cached_property
    def scanned(self) -> str:
        """The part of the body the phases read."""
        return self.body[:MAX_SCAN_CHARS]

    @cached_property
    def normalized(self) -> str:
        """Evasion-normalised text (see :func:`rostra.moderation.normalize.normalize`)."""
        return normalize(self.scanned)

    @cached_property
    def skeleton(self) -> str:
        """The aggressive matching key: words only, repeats and separators removed."""
        return skeleton(self.scanned)

    def __repr__(self) -> str:
        # Never the body: a repr can end up in a log or a traceback.
        return f"Submission(site={self.site_id}, chars={len(self.body)}, edit={self.is_edit})"


@dataclass(slots=True)
class ModerationRecord:
    """Everything the phases measured and decided about one comment."""

    scores: dict[str, float] = field(default_factory=dict)
    facts: dict[str, int | float | bool | str] = field(default_factory=dict)
    verdicts: list[PhaseVerdict] = field(default_factory=list)
    language: str | None = None
    verdict: Action = Action.PUBLISH
    phase: str = ""
    reason: str = ""
    message: str | None = None
    retry_after: int | None = None
    #: Why a comment that is published goes to the desk's "To review" queue ("" when it does not;
    #: see the toxicity phase's borderline band).
    review: str = ""

    def add(self, phase: str, verdict: Verdict) -> None:
        self.verdicts.append(PhaseVerdict(phase, verdict.action, verdict.reason))
        if verdict.retry_after is not None:
            self.retry_after = verdict.retry_after
        if verdict.action.severity > self.verdict.severity:
            self.verdict = verdict.action
            self.phase = phase
            self.reason = verdict.reason
            self.message = verdict.message

    def lift(self, phases: frozenset[str], by: str, reason: str) -> None:
        """Set aside the holds of ``phases`` (``by`` says why, in the verdicts): the verdict is
        settled again from the other phases' verdicts, which still count as given."""
        kept = [v for v in self.verdicts if v.phase not in phases]
        self.verdicts.append(PhaseVerdict(by, Action.PUBLISH, reason))
        self.verdict, self.phase, self.reason = Action.PUBLISH, by, reason
        for v in kept:
            if v.action.severity > self.verdict.severity:
                self.verdict, self.phase, self.reason = v.action, v.phase, v.reason
        if self.verdict is not Action.REJECT:
            self.message = None

    @property
    def flagged(self) -> bool:
        """Published, and listed for a moderator to review (a hold or reject overrides it)."""
        return self.verdict is Action.PUBLISH and bool(self.review)

    def to_dict(self) -> dict[str, object]:
        return {
            "verdict": self.verdict.value,
            "phase": self.phase,
            "reason": self.reason,
            "language": self.language,
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "facts": dict(self.facts),
            "verdicts": [
                {"phase": v.phase, "action": v.action.value, "reason": v.reason}
                for v in self.verdicts
            ],
            # Only when flagged, so records of other comments read as before.
            **({"review": self.review} if self.flagged else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


class Phase(Protocol):
    """One step of the pipeline. ``name`` is what the record and the batch output call it."""

    name: str

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None: ...


class PolicyError(ValueError):
    """A site's moderation settings are malformed; the message names the setting."""
