"""A site's moderation policy: which phases run with which thresholds, and pre-moderation.

Read from the site's settings under ``moderation`` (all optional)::

    {"premoderation": "none" | "all" | "first_time" | "links",
     "rate_limits": {...}, "word_lists": {"reject": [...], "suspect": {"en": [...]}},
     "duplicates": {...}, "links": {...}, "language": {...}, "toxicity": {...},
     "history": {...}, "spam": {...}, "learning": {...},
     "external": {"url": ..., "secret": ...}}

``toxicity.nudge`` (default true) is read here rather than by the toxicity phase: it does not
change the verdict, only how the author hears of it. A comment held by the toxicity phase alone
is a "nudge" (see :meth:`Policy.nudges`): the author is told before anything is saved and may
revise it, or post it anyway to be held for review (Coral's approach).

With nothing configured the default policy applies: every phase on with the defaults in its
module (toxicity with the shipped classifier), no pre-moderation, no external phase. The policy
turns the record into the final verdict: the most severe phase verdict wins; a comment no phase
objected to is published unless the pre-moderation mode holds it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from rostra.moderation.classifier import CATEGORIES
from rostra.moderation.learning import LearningConfig
from rostra.moderation.phases import _config as c
from rostra.moderation.phases.duplicates import DuplicateConfig
from rostra.moderation.phases.external import ExternalConfig
from rostra.moderation.phases.history import HistoryConfig
from rostra.moderation.phases.language import LanguageConfig
from rostra.moderation.phases.links import LinkConfig
from rostra.moderation.phases.rate_limits import RateLimitConfig
from rostra.moderation.phases.spam import SpamConfig
from rostra.moderation.phases.toxicity import ToxicityConfig
from rostra.moderation.phases.word_lists import WordListConfig
from rostra.moderation.record import Action, ModerationRecord, PolicyError, Verdict
from rostra.services.desk import DEFAULT_REPORT_THRESHOLD, MAX_REPORT_THRESHOLD


class PreModeration(enum.StrEnum):
    """Which comments wait for a moderator even when no phase objects."""

    NONE = "none"
    ALL = "all"
    FIRST_TIME = "first_time"
    LINKS = "links"


_SECTIONS = {
    "enabled",
    "premoderation",
    "rate_limits",
    "word_lists",
    "duplicates",
    "links",
    "language",
    "toxicity",
    "history",
    "spam",
    "learning",
    "external",
    "reports",
}


@dataclass(frozen=True, slots=True)
class Policy:
    enabled: bool = True
    premoderation: PreModeration = PreModeration.NONE
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    word_lists: WordListConfig = field(default_factory=lambda: WordListConfig({}, {}))
    duplicates: DuplicateConfig = field(default_factory=DuplicateConfig)
    links: LinkConfig = field(default_factory=LinkConfig)
    language: LanguageConfig = field(default_factory=LanguageConfig)
    toxicity: ToxicityConfig = field(default_factory=ToxicityConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    spam: SpamConfig = field(default_factory=SpamConfig)
    learning: LearningConfig = field(default_factory=LearningConfig)
    external: ExternalConfig | None = None
    #: Warn the author of a comment the toxicity phase alone would hold, and let them revise it.
    nudge: bool = True
    #: Open reader reports that send a comment to the reported queue (read by the desk).
    report_threshold: int = DEFAULT_REPORT_THRESHOLD

    @classmethod
    def from_settings(cls, data: Mapping[str, object] | None) -> Policy:
        """The policy for a site's ``moderation`` settings; :class:`PolicyError` names a bad one."""
        if not data:
            return cls()
        if not isinstance(data, Mapping):
            raise PolicyError("moderation must be an object")
        unknown = sorted(set(data) - _SECTIONS)
        if unknown:
            raise PolicyError(f"moderation has unknown setting(s): {', '.join(unknown)}")
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):  # top level: c.flag would name a section
            raise PolicyError("moderation.enabled must be true or false")
        raw_mode = data.get("premoderation", "none")
        try:
            mode = PreModeration(str(raw_mode))
        except ValueError:
            choices = ", ".join(m.value for m in PreModeration)
            raise PolicyError(f"moderation.premoderation must be one of {choices}") from None
        toxicity = c.section(data, "toxicity")
        nudge = c.flag(toxicity, "nudge", "toxicity", True)
        reports = c.section(data, "reports")
        c.check_keys(reports, "reports", {"threshold"})
        threshold = c.integer(
            reports, "threshold", "reports", DEFAULT_REPORT_THRESHOLD, 1, MAX_REPORT_THRESHOLD
        )
        return cls(
            enabled=enabled,
            premoderation=mode,
            rate_limits=RateLimitConfig.from_mapping(c.section(data, "rate_limits")),
            word_lists=WordListConfig.from_mapping(c.section(data, "word_lists")),
            duplicates=DuplicateConfig.from_mapping(c.section(data, "duplicates")),
            links=LinkConfig.from_mapping(c.section(data, "links")),
            language=LanguageConfig.from_mapping(c.section(data, "language")),
            toxicity=ToxicityConfig.from_mapping(
                {k: v for k, v in toxicity.items() if k != "nudge"}
            ),
            history=HistoryConfig.from_mapping(c.section(data, "history")),
            spam=SpamConfig.from_mapping(c.section(data, "spam")),
            learning=LearningConfig.from_mapping(c.section(data, "learning")),
            external=ExternalConfig.from_mapping(c.section(data, "external")),
            nudge=nudge,
            report_threshold=threshold,
        )

    def finish(self, record: ModerationRecord) -> None:
        """Settle the record's final verdict: phase verdicts first, then pre-moderation."""
        if record.verdict is not Action.PUBLISH:
            return
        reason = self.premoderation_reason(record)
        if reason:
            record.add("premoderation", Verdict(Action.HOLD, reason))

    def premoderation_reason(self, record: ModerationRecord) -> str | None:
        """Why pre-moderation holds this comment whatever the phases said, or ``None``."""
        mode = self.premoderation
        if mode is PreModeration.ALL:
            return "the site reviews every comment before it is published"
        if mode is PreModeration.FIRST_TIME and record.facts.get("first_time", True):
            return "the site reviews a reader's first comment"
        if mode is PreModeration.LINKS and int(record.facts.get("links", 0)):
            return "the site reviews comments with links"
        return None

    def nudges(self, record: ModerationRecord) -> bool:
        """Whether the author should be warned and offered to revise before anything is saved.

        Only when the toxicity classifier's scores alone hold the comment: rewording can then
        change the outcome. A word list, a duplicate, a spam signal, the author's history, the
        external phase or pre-moderation holding (or rejecting) it too means a moderator reads it
        whatever the wording, and a toxicity phase that failed (no scores) says nothing about
        the wording; a rejection is not softened into a warning.
        """
        if not self.nudge or record.verdict is not Action.HOLD or record.phase != "toxicity":
            return False
        if any(v.phase != "toxicity" and v.action is not Action.PUBLISH for v in record.verdicts):
            return False
        if not any(name in record.scores for name in CATEGORIES):
            return False  # the classifier failed or gave nothing usable: not about the wording
        return self.premoderation_reason(record) is None
