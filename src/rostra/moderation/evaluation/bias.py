"""Identity-term bias: are comments that name religions, peoples or nationalities judged alike?

A comment is in a subgroup when it names one of its groups (:mod:`.identity_terms`). For each
subgroup, as in Borkan et al. (2019), *Nuanced Metrics for Measuring Unintended Bias with Real
Data for Text Classification*:

* **subgroup AUC**: ROC-AUC on the subgroup's comments alone (can the score tell its abusive
  comments from its civil ones?);
* **BPSN AUC** (background positive, subgroup negative): the subgroup's civil comments against
  the abusive comments outside it; low when naming the group alone raises the score;
* **BNSP AUC** (background negative, subgroup positive): the subgroup's abusive comments against
  the civil comments outside it; low when abuse of the group scores lower than civil talk;
* **civil held**: the share of the subgroup's civil comments held or rejected, beside the share
  of all civil comments of the set.

``named`` is the union of religion, people and nationality, the comments the target "civil
comments that name religions, peoples or nationalities: ≤ 5 % held" speaks of, also shown per
language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rostra.moderation.evaluation.common import fmt, roc_auc, share, wilson
from rostra.moderation.evaluation.identity_terms import NAMED_GROUPS, SUBGROUPS, subgroups_of
from rostra.moderation.evaluation.toxicity import Outcome

NAMED = "named"


@dataclass(frozen=True, slots=True)
class SubgroupMetrics:
    n: int
    toxic: int
    civil: int
    subgroup_auc: float
    bpsn_auc: float
    bnsp_auc: float
    civil_held: float
    #: The 95 % interval of ``civil_held`` (Wilson): subgroups are small.
    civil_held_low: float
    civil_held_high: float
    #: The share of all civil comments of the set held (the background the subgroup is set by).
    overall_civil_held: float


def subgroup_metrics(outcomes: Sequence[Outcome], inside: Sequence[bool]) -> SubgroupMetrics:
    """The figures of the subgroup ``inside`` marks (one flag per outcome)."""
    sub = [o for o, i in zip(outcomes, inside, strict=True) if i]
    rest = [o for o, i in zip(outcomes, inside, strict=True) if not i]

    def auc(items: Sequence[Outcome]) -> float:
        return roc_auc([o.row.toxic for o in items], [o.toxicity for o in items])

    sub_civil = [o for o in sub if not o.row.toxic]
    all_civil = [o for o in outcomes if not o.row.toxic]
    held = sum(o.flagged for o in sub_civil)
    low, high = wilson(held, len(sub_civil))
    return SubgroupMetrics(
        n=len(sub),
        toxic=len(sub) - len(sub_civil),
        civil=len(sub_civil),
        subgroup_auc=auc(sub),
        bpsn_auc=auc([o for o in rest if o.row.toxic] + sub_civil),
        bnsp_auc=auc([o for o in rest if not o.row.toxic] + [o for o in sub if o.row.toxic]),
        civil_held=share(held, len(sub_civil)),
        civil_held_low=low,
        civil_held_high=high,
        overall_civil_held=share(sum(o.flagged for o in all_civil), len(all_civil)),
    )


def by_subgroup(outcomes: Sequence[Outcome]) -> dict[str, SubgroupMetrics]:
    """Each subgroup with comments, then ``named`` overall and, in a set of more than one
    language, per language (``named · fr``)."""
    found = [subgroups_of(o.row.text, o.row.lang) for o in outcomes]
    table = {}
    for name in SUBGROUPS:
        inside = [name in groups for groups in found]
        if any(inside):
            table[name] = subgroup_metrics(outcomes, inside)
    named = [any(g in groups for g in NAMED_GROUPS) for groups in found]
    if any(named):
        table[NAMED] = subgroup_metrics(outcomes, named)
        langs = sorted({o.row.lang for o, i in zip(outcomes, named, strict=True) if i})
        for lang in langs if len(langs) > 1 else ():
            mine = [o.row.lang == lang for o in outcomes]
            in_lang = [o for o, m in zip(outcomes, mine, strict=True) if m]
            flags = [i for i, m in zip(named, mine, strict=True) if m]
            table[f"{NAMED} · {lang}"] = subgroup_metrics(in_lang, flags)
    return table


def markdown(table: Mapping[str, SubgroupMetrics], marks: Mapping[str, str]) -> str:
    lines = [
        "| subgroup | n | abusive | civil | subgroup AUC | BPSN AUC | BNSP AUC | civil held "
        "| its 95 % interval | all civil held | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, m in table.items():
        lines.append(
            f"| {name} | {m.n} | {m.toxic} | {m.civil} | {fmt(m.subgroup_auc)} "
            f"| {fmt(m.bpsn_auc)} | {fmt(m.bnsp_auc)} | {fmt(m.civil_held, True)} "
            f"| {_interval(m)} | {fmt(m.overall_civil_held, True)} | {marks.get(name, '')} |"
        )
    return "\n".join(lines)


def _interval(m: SubgroupMetrics) -> str:
    if math.isnan(m.civil_held_low):
        return "-"
    return f"{m.civil_held_low * 100:.0f}–{m.civil_held_high * 100:.0f} %"
