"""The moderation pipeline: an ordered list of small phases run on every new or edited comment.

Cheap phases run first and the classifier late, so that a rejected comment costs little. Each
phase returns a verdict or nothing and writes its scores and reasons into the
:class:`~rostra.moderation.record.ModerationRecord`; a rejection ends the run (nothing later could
soften it), a hold does not (a later phase may still reject). A phase that fails holds the comment
for review instead of letting it through. The site's :class:`~rostra.moderation.policy.Policy`
settles the final verdict. Comment bodies are never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from rostra.moderation.learning import REFRESH_SECONDS, Learning
from rostra.moderation.phases.duplicates import Duplicates
from rostra.moderation.phases.external import External
from rostra.moderation.phases.history import History
from rostra.moderation.phases.language import Identifier, Language
from rostra.moderation.phases.links import Links
from rostra.moderation.phases.rate_limits import RateLimits
from rostra.moderation.phases.spam import Spam
from rostra.moderation.phases.toxicity import Toxicity
from rostra.moderation.phases.word_lists import WordLists
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action, ModerationRecord, Phase, Submission, Verdict
from rostra.moderation.state import LearntMemory, ModerationState

log = logging.getLogger("rostra.moderation")


class Pipeline:
    """Runs phases in order and lets the policy settle the verdict."""

    def __init__(self, phases: Sequence[Phase], policy: Policy) -> None:
        self.phases = tuple(phases)
        self.policy = policy

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.phases]

    def run(self, submission: Submission) -> ModerationRecord:
        record = ModerationRecord()
        timings: dict[str, float] = {}
        for phase in self.phases:
            started = time.perf_counter()
            try:
                verdict = phase(submission, record)
            except Exception as exc:  # noqa: BLE001 - a broken phase must hold, not publish or crash
                # The exception's text may quote the comment; only its type is logged.
                log.error("moderation phase %s failed: %s", phase.name, type(exc).__name__)
                verdict = Verdict(Action.HOLD, f"the {phase.name} phase failed")
            timings[phase.name] = round((time.perf_counter() - started) * 1000, 3)
            if verdict is not None:
                record.add(phase.name, verdict)
                if verdict.action is Action.REJECT:
                    break
        record.facts["ms"] = round(sum(timings.values()), 3)
        self.policy.finish(record)
        return record


def build_pipeline(
    policy: Policy,
    state: ModerationState,
    *,
    rate_limits: bool = True,
    identifier: Identifier | None = None,
    learning_refresh: float = REFRESH_SECONDS,
) -> Pipeline:
    """The phases a policy asks for, in order. ``rate_limits=False`` leaves them out (batch).

    The learning phase reads the site's learnt examples from ``state`` when it keeps them
    (:class:`~rostra.moderation.learning.LearntMemory`), asking at most every
    ``learning_refresh`` seconds whether they changed (0: before every comment)."""
    if not policy.enabled:
        return Pipeline([], policy)
    phases: list[Phase] = []
    if rate_limits and policy.rate_limits.enabled:
        phases.append(RateLimits(policy.rate_limits, state))
    phases.append(Language(policy.language, identifier))
    phases.append(History(policy.history, state))
    if not policy.word_lists.empty:
        phases.append(WordLists(policy.word_lists))
    phases.append(Links(policy.links))
    if policy.spam.enabled:
        phases.append(Spam(policy.spam))
    if policy.duplicates.enabled:
        phases.append(Duplicates(policy.duplicates, state))
    if policy.toxicity.enabled:
        phases.append(Toxicity(policy.toxicity))
    if policy.learning.enabled:
        # After the toxicity phase, whose holds it may lift; before the site's own external one.
        memory = state if isinstance(state, LearntMemory) else None
        phases.append(Learning(policy.learning, memory, refresh_seconds=learning_refresh))
    if policy.external is not None:
        phases.append(External(policy.external))
    return Pipeline(phases, policy)
