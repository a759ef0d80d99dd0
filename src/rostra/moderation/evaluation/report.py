"""The whole report of ``rostra moderation eval``: every section, as text and as JSON.

Sections, each left out when its set is not measured: quality per language on the labelled set;
news-style comments per language and each source (public test splits per language), with the
targets each row meets or misses; the functional tests per category; identity-term bias on each
set; spam; and the list of targets, met or missed. The JSON holds the same figures under
``toxicity``, ``news``, ``toxicity_by_source``, ``functional`` (``categories``,
``functionalities``), ``bias`` (per set), ``spam`` (with ``spam_split``) and ``targets``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rostra.moderation.evaluation import bias, functional, spam, targets, toxicity
from rostra.moderation.evaluation.bias import SubgroupMetrics
from rostra.moderation.evaluation.common import auc_interval
from rostra.moderation.evaluation.functional import CategoryMetrics
from rostra.moderation.evaluation.spam import SpamMetrics, SpamOutcome, SpamRow
from rostra.moderation.evaluation.targets import Target
from rostra.moderation.evaluation.toxicity import Labelled, Metrics, Outcome

#: The sets identity-term bias is measured on, by their key in the JSON.
POOLS = {"heldout": "labelled set", "functional": "functional tests"}


@dataclass
class Report:
    heldout: list[Outcome]
    functional: list[Outcome] = field(default_factory=list)
    spam: list[SpamOutcome] = field(default_factory=list)
    spam_split: str | None = None
    #: Seconds all the sets took through the content phases.
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.by_language = toxicity.by_group(self.heldout, "lang")
        self.news = toxicity.news_by_language(self.heldout)
        self.by_source = toxicity.by_source(self.heldout)
        self.news_sources = {toxicity.source_name(o.row) for o in self.heldout if o.row.news}
        self.kinds: dict[str, CategoryMetrics] = functional.by_kind(self.heldout)
        self.categories: dict[str, CategoryMetrics] = functional.by_category(self.functional)
        self.functionalities = functional.by_functionality(self.functional)
        self.bias: dict[str, dict[str, SubgroupMetrics]] = {}
        for key, outcomes in (("heldout", self.heldout), ("functional", self.functional)):
            table = bias.by_subgroup(outcomes)
            if table:
                self.bias[key] = table
        self.spam_table: dict[str, SpamMetrics] = spam.spam_by_group(self.spam) if self.spam else {}
        self.targets: list[Target] = [
            *targets.news_targets(self.news),
            *targets.public_targets(self.by_source, self.news_sources),
            *(
                t
                for key, table in self.bias.items()
                for t in targets.bias_targets(POOLS[key], table)
            ),
            *targets.spam_targets(self.spam_table),
        ]

    def _marks(self, section: str) -> dict[str, str]:
        return targets.marks(t for t in self.targets if t.section == section)

    def text(self) -> str:
        n = len(self.heldout) + len(self.functional) + len(self.spam)
        per = self.seconds / n * 1000 if n else math.nan
        out = [
            "## Moderation quality at the default policy\n",
            f"{len(self.heldout)} labelled comments; flagged = held or rejected; ROC-AUC of the "
            f"toxicity\nscore. Every set: {n} comments in {self.seconds:.1f} s, {per:.1f} ms "
            "per comment.\n",
            toxicity.markdown(self.by_language),
        ]
        if self.news:
            out += [
                "\n## News-style comments per language\n",
                "Our written news comments (and rows of a set of one's own that name no source)."
                f"\nTargets: recall ≥ {targets.NEWS_RECALL:.2f}, civil held ≤ "
                f"{targets.NEWS_CIVIL_HELD:.0%}, ROC-AUC ≥ {targets.NEWS_AUC:.2f}.\n",
                toxicity.markdown(self.news, marks=self._marks("news comments")),
            ]
        out += [
            "\n## By source\n",
            "A public source per language: each is a real-comment test split never trained on."
            f"\nTarget: ROC-AUC ≥ {targets.PUBLIC_AUC:.2f} on each.\n",
            toxicity.markdown(self.by_source, "source", marks=self._marks("public split")),
        ]
        if self.kinds:
            out += [
                "\n## Labelled comments per kind\n",
                "The rows of the labelled set that say what kind of comment they are (civil "
                "debate, quotes,\ncounter-speech, threats, …); judged right = an abusive one "
                "held or rejected, a civil one\npublished.\n",
                functional.kind_markdown(self.kinds),
            ]
        if self.categories:
            langs = ", ".join(sorted({o.row.lang for o in self.functional}))
            out += [
                "\n## Functional tests per category (HateCheck, Multilingual HateCheck)\n",
                f"{len(self.functional)} test sentences in {langs}; judged right = an abusive "
                "one held or\nrejected, a civil one published.\n",
                functional.markdown(self.categories),
            ]
        if self.bias:
            out += [
                "\n## Identity-term bias\n",
                "Comments naming religions, peoples, nationalities or migrants (per-language "
                "word lists);\nnamed = the first three together. BPSN: the subgroup's civil "
                "comments against abuse elsewhere;\nBNSP: its abusive ones against civil "
                "comments elsewhere. All civil held: the share of every\ncivil comment of the "
                "set held (of its language, for a named · xx row). Target: civil held\n"
                f"≤ {targets.NAMED_CIVIL_HELD:.0%}.",
            ]
            for key, table in self.bias.items():
                out += [
                    f"\n### On the {POOLS[key]}\n",
                    bias.markdown(table, self._marks(f"bias ({POOLS[key]})")),
                ]
        if self.spam_table:
            marks = self._marks("spam")
            out += [
                f"\n## Spam ({self.spam_split} split of the spam set)\n",
                f"{len(self.spam)} comments; stopped = held or rejected by any check; civil with"
                "\nlinks: civil comments that carry a link, and the share of them held. Targets:"
                f"\n≥ {targets.SPAM_STOPPED:.0%} stopped, ≤ {targets.SPAM_CIVIL_LINKS_HELD:.0%}"
                f" of civil with links held: {marks.get('all', '')}.\n",
                spam.spam_markdown(self.spam_table),
            ]
        if self.targets:
            measured = [t for t in self.targets if t.met is not None]
            met = sum(bool(t.met) for t in measured)
            out += ["\n## Targets\n", f"{met} of {len(measured)} measured targets met.\n"]
            out += [f"- **{t.verdict}** {t.text()}" for t in self.targets]
        return "\n".join(out) + "\n"

    def to_json(self) -> dict[str, object]:
        report: dict[str, object] = {
            "toxicity": _table(self.by_language),
            "news": _with_auc_interval(self.news),
            "toxicity_by_source": _with_auc_interval(self.by_source),
            "kinds": {name: _summary(c) for name, c in self.kinds.items()},
            "functional": {
                "categories": {name: _summary(c) for name, c in self.categories.items()},
                "functionalities": _table(self.functionalities),
            },
            "bias": {key: _table(table) for key, table in self.bias.items()},
            "spam": {k: m.to_dict() for k, m in self.spam_table.items()},
            "spam_split": self.spam_split if self.spam else None,
            "targets": [t.to_dict() for t in self.targets],
            "seconds": self.seconds,
        }
        return report


def _plain(value: float) -> float | None:
    return None if math.isnan(value) else value


def _dict(m: object) -> dict[str, object]:
    """A metrics dataclass as JSON-ready values (NaN, for a group with one class, as null)."""
    assert dataclasses.is_dataclass(m) and not isinstance(m, type)
    return {k: _plain(v) if isinstance(v, float) else v for k, v in dataclasses.asdict(m).items()}


def _table(table: Mapping[str, Metrics | SubgroupMetrics]) -> dict[str, object]:
    return {name: _dict(m) for name, m in table.items()}


def _summary(c: CategoryMetrics) -> dict[str, object]:
    return {
        "functionalities": list(c.functionalities),
        "right": _plain(c.right),
        "right_by_language": {k: _plain(v) for k, v in c.right_by_language.items()},
        **_dict(c.metrics),
    }


def _with_auc_interval(table: Mapping[str, Metrics]) -> dict[str, object]:
    """The figures, and the ROC-AUC's 95 % interval (``auc_low``, ``auc_high``)."""
    out: dict[str, object] = {}
    for name, m in table.items():
        low, high = auc_interval(m.auc, m.toxic, m.n - m.toxic)
        out[name] = {**_dict(m), "auc_low": _plain(low), "auc_high": _plain(high)}
    return out


def build(
    rows: Sequence[Labelled],
    functional_rows: Sequence[Labelled] = (),
    spam_rows: Sequence[SpamRow] = (),
    *,
    settings: Mapping[str, object] | None = None,
    spam_split: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Every set through the content phases (``progress`` counts all their rows), reported."""

    def after(offset: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        return lambda done: progress(offset + done)

    heldout, seconds = toxicity.run(rows, settings, progress)
    tests, more = toxicity.run(functional_rows, settings, after(len(rows)))
    spam_outcomes, last = spam.run_spam(spam_rows, settings, after(len(rows) + len(tests)))
    return Report(heldout, tests, spam_outcomes, spam_split, seconds + more + last)
