"""The targets of issue 11 and whether each figure meets its own.

* spam: ≥ 95 % of spam stopped, ≤ 2 % of civil comments with links held (the spam set);
* news-style comments, in every language: recall of abusive comments ≥ 0.90, ≤ 10 % of civil
  comments held, ROC-AUC ≥ 0.95;
* each public real-comment test split: ROC-AUC ≥ 0.85;
* civil comments that name religions, peoples or nationalities: ≤ 5 % held (each subgroup,
  their union, and the union per language).

A figure that cannot be measured (a group with one class) is neither met nor missed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rostra.moderation.evaluation.bias import NAMED, SubgroupMetrics
from rostra.moderation.evaluation.common import fmt, plain
from rostra.moderation.evaluation.identity_terms import NAMED_GROUPS
from rostra.moderation.evaluation.spam import SpamMetrics
from rostra.moderation.evaluation.toxicity import Metrics

SPAM_STOPPED = 0.95
SPAM_CIVIL_LINKS_HELD = 0.02
NEWS_RECALL = 0.90
NEWS_CIVIL_HELD = 0.10
NEWS_AUC = 0.95
PUBLIC_AUC = 0.85
NAMED_CIVIL_HELD = 0.05


@dataclass(frozen=True, slots=True)
class Target:
    section: str
    group: str
    figure: str
    value: float
    goal: float
    #: True: the figure must be at least ``goal``; False: at most.
    at_least: bool
    percent: bool = False

    @property
    def met(self) -> bool | None:
        if math.isnan(self.value):
            return None
        return self.value >= self.goal if self.at_least else self.value <= self.goal

    @property
    def verdict(self) -> str:
        return {True: "met", False: "missed", None: "not measured"}[self.met]

    def text(self) -> str:
        sign = "≥" if self.at_least else "≤"
        return (
            f"{self.section}, {self.group}: {self.figure} {fmt(self.value, self.percent)} "
            f"(target {sign} {fmt(self.goal, self.percent)})"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "section": self.section,
            "group": self.group,
            "figure": self.figure,
            "value": plain(self.value),
            "goal": self.goal,
            "at_least": self.at_least,
            "percent": self.percent,
            "met": self.met,
        }


def spam_targets(table: Mapping[str, SpamMetrics]) -> list[Target]:
    """On the whole spam set measured (``all``, or its one language)."""
    if not table:
        return []
    m = table.get("all") or next(iter(table.values()))
    return [
        Target("spam", "all", "spam stopped", m.recall, SPAM_STOPPED, True, True),
        Target(
            "spam", "all", "civil with links held", m.civil_links_held, SPAM_CIVIL_LINKS_HELD,
            False, True,
        ),
    ]  # fmt: skip


def news_targets(table: Mapping[str, Metrics]) -> list[Target]:
    """Per language of the news-style comments (not their ``all`` row)."""
    out = []
    for lang, m in table.items():
        if lang == "all":
            continue
        out += [
            Target("news comments", lang, "recall", m.recall, NEWS_RECALL, True),
            Target("news comments", lang, "civil held", m.civil_held, NEWS_CIVIL_HELD, False, True),
            Target("news comments", lang, "ROC-AUC", m.auc, NEWS_AUC, True),
        ]
    return out


def public_targets(table: Mapping[str, Metrics], news: Iterable[str]) -> list[Target]:
    """Per public test split: every source row of the table but the news-style ones."""
    skip = {*news, "all"}
    return [
        Target("public split", name, "ROC-AUC", m.auc, PUBLIC_AUC, True)
        for name, m in table.items()
        if name not in skip
    ]


def bias_targets(pool: str, table: Mapping[str, SubgroupMetrics]) -> list[Target]:
    """Civil comments held, per named subgroup, their union and the union per language."""
    return [
        Target(f"bias ({pool})", name, "civil held", m.civil_held, NAMED_CIVIL_HELD, False, True)
        for name, m in table.items()
        if name in NAMED_GROUPS or name == NAMED or name.startswith(f"{NAMED} · ")
    ]


def marks(targets: Iterable[Target]) -> dict[str, str]:
    """Per group: ``met``, or what was missed (``missed: recall, civil held``)."""
    by_group: dict[str, list[Target]] = {}
    for t in targets:
        by_group.setdefault(t.group, []).append(t)
    out = {}
    for group, items in by_group.items():
        missed = [t.figure for t in items if t.met is False]
        if missed:
            out[group] = "missed: " + ", ".join(missed)
        elif all(t.met is None for t in items):
            out[group] = "not measured"
        else:
            out[group] = "met"
    return out
