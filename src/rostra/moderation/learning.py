"""Learning from the desk: a site's own moderators' decisions adjust what its pipeline does next.

Every desk decision that overrides or settles the pipeline (a held comment approved, a published,
reported or held one rejected) becomes a labelled example of that site: the comment's MinHash
signature (the one the duplicates phase computes, over the character 4-grams of its matching key;
never its text), the label, and the toxicity the shared model gave it. The ``learning`` phase,
which runs right after the toxicity phase, compares each new comment of the site with the site's
examples — and only that site's: the memory is read by site id, and an example is filed under the
site of the comment it was made from — and may:

* **lift a toxicity hold** when the new comment nearly repeats one the moderators approved: its
  estimated Jaccard similarity to that example is at least ``lift_similarity`` (0.6; the
  duplicates phase calls 0.5 "the same text"), it is closer to an approved example than to any
  rejected one, and the shared model does not find it more toxic than the approved comment (by
  more than :data:`TOXICITY_MARGIN`). Only a hold that the toxicity classifier alone asked for is
  lifted: a word list, a spam signal, a duplicate, the author's history, pre-moderation or the
  site's external phase still hold, and a rejection is never softened;
* **add a hold** when a comment the pipeline would publish nearly repeats one the moderators
  rejected (similarity at least ``hold_similarity``, 0.5, and closer to it than to any approved
  one): a moderator looks at it before readers do.

So a newsroom's recurring false holds (the allotment's pest-control advice, a hunting report)
stop recurring once its moderators have approved a few of them, and what they removed by hand is
caught when it comes back, while the guard keeps the memory from publishing anything the shared
model holds unless a moderator approved a near-identical comment. Similarity is measured on the
signatures because they cost nothing more (the duplicates phase computes them anyway, where the
sentence encoder would cost 3-25 ms a comment again), need no encoder, and make "near-identical"
precise.

Each process keeps a site's examples as two numpy arrays, refreshed when the store's version of
them changes (asked at most every :data:`REFRESH_SECONDS`, and at once after this process wrote
one). A memory that cannot be read (the
table is missing, the database refuses) leaves the shared model alone in charge, and so does each
stored example that cannot be decoded (it is set aside); either is logged once, not once per
comment. The settings (``moderation.learning``) are read here: ``enabled`` (default true), the two
similarities and ``max_examples`` (the most recent decisions kept, 2,000 by default).
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np
import numpy.typing as npt

from rostra.moderation.phases import _config as c
from rostra.moderation.phases import duplicates
from rostra.moderation.record import Action, ModerationRecord, Submission, Verdict
from rostra.moderation.state import LearntExample, LearntMemory
from rostra.services.moderation_port import Fingerprint

log = logging.getLogger("rostra.moderation")

APPROVE: Final = "approve"
REJECT: Final = "reject"
LABELS: Final = (APPROVE, REJECT)
#: The phases whose hold the memory may lift: the shared model's judgement, nothing else.
LIFTABLE: Final = frozenset({"toxicity"})
#: A comment the shared model finds this much more toxic than the approved one it repeats is
#: not lifted: an insult added to an approved text changes its meaning, not its letters.
TOXICITY_MARGIN: Final = 0.10
#: How often (seconds) a process asks the store whether a site's examples changed.
REFRESH_SECONDS: Final = 10.0
DEFAULT_LIFT = 0.6
DEFAULT_HOLD = 0.5
DEFAULT_MAX_EXAMPLES = 2000
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
#: Bumped by every example this process writes (the ``moderation.learn`` job run by
#: ``rostra serve``'s own runner): its pipelines then read their memory again at once, where
#: other processes notice within :data:`REFRESH_SECONDS`.
_written = [0]
_written_lock = threading.Lock()


def note_learnt() -> None:
    """Tell this process's learning phases that an example was written or forgotten."""
    with _written_lock:
        _written[0] += 1


def encode_signature(signature: Sequence[int]) -> str:
    return base64.b64encode(struct.pack(f"<{len(signature)}I", *signature)).decode("ascii")


def decode_signature(text: str) -> npt.NDArray[np.uint32] | None:
    """The signature, or ``None`` when ``text`` is not one (a corrupted example)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    if len(raw) != duplicates.PERMUTATIONS * 4:
        return None
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)


def signature_of(body: str) -> tuple[int, ...] | None:
    """The signature the pipeline computes for a comment with this body (``None``: no words)."""
    probe = duplicates.fingerprint_of(Submission(site_id=0, body=body, now=_EPOCH))
    return None if probe is None else probe.signature


@dataclass(frozen=True, slots=True)
class LearningConfig:
    enabled: bool = True
    lift_similarity: float = DEFAULT_LIFT
    hold_similarity: float = DEFAULT_HOLD
    max_examples: int = DEFAULT_MAX_EXAMPLES

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> LearningConfig:
        where = "learning"
        c.check_keys(data, where, set(cls.__dataclass_fields__))
        return cls(
            enabled=c.flag(data, "enabled", where, True),
            # Below 0.5 a "repeat" is only a comment on the same subject: never lift on that.
            lift_similarity=c.number(data, "lift_similarity", where, DEFAULT_LIFT, 0.5, 1.0),
            hold_similarity=c.number(data, "hold_similarity", where, DEFAULT_HOLD, 0.3, 1.0),
            max_examples=c.integer(data, "max_examples", where, DEFAULT_MAX_EXAMPLES, 1, 100_000),
        )


class SiteExamples:
    """A site's examples as arrays: signatures of approved and of rejected comments."""

    def __init__(self, examples: Sequence[LearntExample]) -> None:
        approved: list[npt.NDArray[np.uint32]] = []
        scores: list[float] = []
        rejected: list[npt.NDArray[np.uint32]] = []
        self.unreadable = 0
        for example in examples:
            sig = (
                decode_signature(example.signature) if isinstance(example.signature, str) else None
            )
            tox = example.toxicity
            tox_ok = tox is None or (
                isinstance(tox, int | float) and math.isfinite(tox) and 0.0 <= tox <= 1.0
            )
            if sig is None or example.label not in LABELS or not tox_ok:
                self.unreadable += 1
                continue
            if example.label == APPROVE:
                approved.append(sig)
                # Unknown toxicity: the guard cannot be checked, so it lifts nothing.
                scores.append(-1.0 if tox is None else float(tox))
            else:
                rejected.append(sig)
        width = duplicates.PERMUTATIONS
        self.approved = np.array(approved, dtype=np.uint32).reshape(len(approved), width)
        self.approved_toxicity = np.array(scores, dtype=np.float32)
        self.rejected = np.array(rejected, dtype=np.uint32).reshape(len(rejected), width)

    def __len__(self) -> int:
        return len(self.approved) + len(self.rejected)

    @property
    def nbytes(self) -> int:
        """What the arrays take in memory."""
        return self.approved.nbytes + self.approved_toxicity.nbytes + self.rejected.nbytes

    @staticmethod
    def _similarities(
        stored: npt.NDArray[np.uint32], probe: npt.NDArray[np.uint32]
    ) -> npt.NDArray[np.float64]:
        if not len(stored):
            return np.zeros(0)
        matches: npt.NDArray[np.float64] = (stored == probe).mean(axis=1)
        return matches

    def nearest(self, probe: npt.NDArray[np.uint32], lift: float) -> tuple[float, float, float]:
        """``(closest approved, closest rejected, the highest toxicity among the approved
        examples at least ``lift`` alike)``; -1.0 where there is none."""
        ok = self._similarities(self.approved, probe)
        bad = self._similarities(self.rejected, probe)
        best_ok = float(ok.max()) if len(ok) else -1.0
        best_bad = float(bad.max()) if len(bad) else -1.0
        close = self.approved_toxicity[ok >= lift] if len(ok) else self.approved_toxicity
        # One approved example of unknown toxicity among the close ones vetoes the lift.
        ceiling = -1.0 if not len(close) or float(close.min()) < 0 else float(close.max())
        return best_ok, best_bad, ceiling


_EMPTY = SiteExamples(())


class Learning:
    """The phase: reads the site's examples and lifts or adds a hold (see the module)."""

    name = "learning"

    def __init__(
        self,
        config: LearningConfig,
        memory: LearntMemory | None,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.memory = memory
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._lock = threading.Lock()
        # site -> (when checked, this process's writes then, the store's version, the examples)
        self._cache: dict[int, tuple[float, int, tuple[int, int] | None, SiteExamples]] = {}
        self._problems: dict[int, str] = {}

    def examples(self, site_id: int) -> SiteExamples:
        """The site's examples, read again when the store's version of them changed."""
        now = self.clock()
        written = _written[0]
        with self._lock:
            cached = self._cache.get(site_id)
        if cached is not None and now - cached[0] < self.refresh_seconds and cached[1] == written:
            return cached[3]
        assert self.memory is not None
        version: tuple[int, int] | None = None
        try:
            version = self.memory.learnt_version(site_id)
            if cached is not None and cached[2] == version:
                found = cached[3]
            else:
                found = SiteExamples(self.memory.learnt_examples(site_id, self.config.max_examples))
        except Exception as exc:  # noqa: BLE001 - a memory we cannot read leaves the shared model
            self._problem(site_id, f"cannot be read ({type(exc).__name__})")
            found, version = _EMPTY, None
        else:
            if found.unreadable:
                self._problem(site_id, f"has {found.unreadable} unreadable example(s), set aside")
            else:
                self._problem(site_id, None)
        with self._lock:
            self._cache[site_id] = (now, written, version, found)
        return found

    def _problem(self, site_id: int, problem: str | None) -> None:
        """Log a memory problem once, when it appears or changes (and when it is over)."""
        with self._lock:
            before = self._problems.get(site_id)
            if problem == before:
                return
            if problem is None:
                del self._problems[site_id]
            else:
                self._problems[site_id] = problem
        if problem is None:
            log.info("site %s: the learnt moderation memory is readable again", site_id)
        else:
            log.warning(
                "site %s: the learnt moderation memory %s; the shared model decides alone",
                site_id,
                problem,
            )

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        cfg = self.config
        if not cfg.enabled or self.memory is None or record.verdict is Action.REJECT:
            return None
        held = record.verdict is Action.HOLD
        if held and not _liftable(record):
            return None  # held for a reason the memory has no say in
        examples = self.examples(submission.site_id)
        if not len(examples.approved if held else examples.rejected):
            return None
        probe: Fingerprint | None = duplicates.fingerprint_of(submission)
        if probe is None:
            return None  # no words (emoji only, empty): nothing to compare
        sig = np.asarray(probe.signature, dtype=np.uint32)
        best_ok, best_bad, ceiling = examples.nearest(sig, cfg.lift_similarity)
        if best_ok >= 0:
            record.scores["learnt_approved"] = best_ok
        if best_bad >= 0:
            record.scores["learnt_rejected"] = best_bad
        if held:
            tox = record.scores["toxicity"]
            if (
                best_ok >= cfg.lift_similarity
                and best_ok > best_bad
                and ceiling >= 0
                and tox <= ceiling + TOXICITY_MARGIN
            ):
                record.facts["learnt"] = "lifted"
                record.lift(
                    LIFTABLE,
                    self.name,
                    f"nearly repeats ({best_ok:.0%} alike) a comment the site's moderators "
                    "approved",
                )
            return None
        if best_bad >= cfg.hold_similarity and best_bad > best_ok:
            record.facts["learnt"] = "held"
            return Verdict(
                Action.HOLD,
                f"nearly repeats ({best_bad:.0%} alike) a comment the site's moderators rejected",
            )
        return None


def _liftable(record: ModerationRecord) -> bool:
    """Held by the toxicity classifier's scores alone (not by its failure, nor anything else)."""
    holding = [v for v in record.verdicts if v.action is not Action.PUBLISH]
    return (
        bool(holding) and all(v.phase in LIFTABLE for v in holding) and "toxicity" in record.scores
    )


def label_of(decision: str) -> str:
    """A decision word as a label; ``ValueError`` names the choices."""
    if decision not in LABELS:
        raise ValueError(f"must be one of {', '.join(LABELS)}")
    return decision
