"""Functional tests: how the pipeline judges each kind of hard case HateCheck names.

The shipped ``functional.jsonl`` samples HateCheck (English) and Multilingual HateCheck (French,
German, Spanish, Arabic): short sentences built from templates, each testing one
*functionality* (``counter_quote_nh``: a slur quoted to condemn it, not hateful;
``threat_dir_h``: a direct threat, hateful; …). They run through the content phases like any
labelled comment; here each functionality falls in a *category* a moderator recognises
(counter-speech, quotes, negation, threats, slurs, …), and each category's figures are the
share judged as labelled (held when abusive, published when civil), recall, the share of its
civil sentences held and ROC-AUC, pooled over languages, and the share judged right per
language. The labelled set's rows that say what kind of comment they are (``label``:
``civil:quoted``, ``abusive:threat``, …) are reported the same way, per kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rostra.moderation.evaluation.common import fmt, share
from rostra.moderation.evaluation.toxicity import Labelled, Metrics, Outcome, grouped, load, of

FUNCTIONAL_FILE = "functional.jsonl"

#: The categories in report order, each with the functionalities (or ``prefix_*``) it holds.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "counter-speech": ("counter_ref_nh",),
    "quotes": ("counter_quote_nh",),
    "negation": ("negate_neg_nh", "negate_pos_h"),
    "threats": ("threat_dir_h", "threat_norm_h"),
    "slurs": ("slur_h", "slur_homonym_nh", "slur_reclaimed_nh"),
    "civil mentions of groups": ("ident_neutral_nh", "ident_pos_nh"),
    "derogation": ("derog_*",),
    "phrasing": ("phrase_*", "ref_subs_*"),
    "profanity": ("profanity_h", "profanity_nh"),
    "abuse of others": ("target_*",),
    "spelling variants": ("spell_*",),
}
OTHER = "other"


def category_of(functionality: str) -> str:
    """The category of a HateCheck functionality (:data:`OTHER` for one not listed)."""
    for name, members in CATEGORIES.items():
        for member in members:
            if member == functionality or (
                member.endswith("*") and functionality.startswith(member[:-1])
            ):
                return name
    return OTHER


def load_functional(path: Path | None = None) -> list[Labelled]:
    """The functional tests at ``path`` or shipped; every row must name its functionality."""
    rows = load(path, FUNCTIONAL_FILE)
    for number, row in enumerate(rows, 1):
        if not row.functionality:
            raise ValueError(f"{path or FUNCTIONAL_FILE}, row {number}: no functionality")
    return rows


@dataclass(frozen=True, slots=True)
class CategoryMetrics:
    #: The functionalities found in this category.
    functionalities: tuple[str, ...]
    #: The share judged as labelled: abusive ones held or rejected, civil ones published.
    right: float
    #: ``right`` per language.
    right_by_language: dict[str, float]
    metrics: Metrics


def right_share(outcomes: Sequence[Outcome]) -> float:
    """The share judged as labelled: abusive ones held or rejected, civil ones published."""
    return share(sum(o.flagged == o.row.toxic for o in outcomes), len(outcomes))


def by_category(outcomes: Sequence[Outcome]) -> dict[str, CategoryMetrics]:
    """Each category's figures, in :data:`CATEGORIES` order (those with rows), then ``all``."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(category_of(o.row.functionality), []).append(o)
    order = [*CATEGORIES, OTHER]
    table = {}
    for name in sorted(groups, key=order.index):
        items = groups[name]
        table[name] = summarise(items)
    if len(groups) > 1:
        table["all"] = summarise(list(outcomes))
    return table


def summarise(items: Sequence[Outcome]) -> CategoryMetrics:
    """A group's figures: its functionalities, the share judged right (also per language)."""
    langs: dict[str, list[Outcome]] = {}
    for o in items:
        langs.setdefault(o.row.lang, []).append(o)
    return CategoryMetrics(
        functionalities=tuple(sorted({o.row.functionality for o in items})),
        right=right_share(items),
        right_by_language={lang: right_share(langs[lang]) for lang in sorted(langs)},
        metrics=of(items),
    )


def by_functionality(outcomes: Sequence[Outcome]) -> dict[str, Metrics]:
    """The figures per functionality, pooled over languages."""
    return grouped(outcomes, lambda o: o.row.functionality, total=False)


def by_kind(outcomes: Sequence[Outcome]) -> dict[str, CategoryMetrics]:
    """Each kind of labelled comment (its ``label``: ``civil:quoted``, ``abusive:threat`` …)
    judged right, overall and per language; empty when no row has a label."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.row.label:
            groups.setdefault(o.row.label, []).append(o)
    return {name: summarise(groups[name]) for name in sorted(groups)}


def kind_markdown(table: Mapping[str, CategoryMetrics]) -> str:
    """One row per kind: n, abusive, the share judged right, and per language."""
    languages = sorted({lang for c in table.values() for lang in c.right_by_language})
    lines = [
        "| kind | n | abusive | judged right | " + " | ".join(languages) + " |",
        "|---|---:|---:|---:|" + "---:|" * len(languages),
    ]
    for name, c in table.items():
        cells = [fmt(c.right_by_language.get(lang, float("nan")), True) for lang in languages]
        lines.append(
            f"| {name} | {c.metrics.n} | {c.metrics.toxic} | {fmt(c.right, True)} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def markdown(table: Mapping[str, CategoryMetrics]) -> str:
    """Two tables: each category's figures, and the share judged right per language."""
    lines = [
        "| category | functionalities | n | abusive | judged right | recall | civil held "
        "| ROC-AUC |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, c in table.items():
        m = c.metrics
        shown = CATEGORIES.get(name, c.functionalities if name == OTHER else ())
        names = ", ".join(shown)
        lines.append(
            f"| {name} | {names} | {m.n} | {m.toxic} | {fmt(c.right, True)} "
            f"| {fmt(m.recall)} | {fmt(m.civil_held, True)} | {fmt(m.auc)} |"
        )
    languages = sorted({lang for c in table.values() for lang in c.right_by_language})
    lines += [
        "",
        "| category (judged right) | " + " | ".join(languages) + " |",
        "|---|" + "---:|" * len(languages),
    ]
    for name, c in table.items():
        cells = [fmt(c.right_by_language.get(lang, float("nan")), True) for lang in languages]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
