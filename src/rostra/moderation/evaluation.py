"""Evaluation of the moderation pipeline on a labelled set: per-language quality figures.

Each labelled comment (``{"text", "toxic": 0|1, "lang", "source"}``) runs through the site's
content phases on its own (no rate limits, repeats or author history: those judge context, not
text). A comment counts as flagged when the verdict is hold or reject. Reported per language:
precision, recall and F1 of "flagged" against the label, ROC-AUC of the toxicity score, and the
share of civil comments held.

The spam set (``spam.jsonl``: ``{"text", "spam": 0|1, "lang", "kind", "split"}``) runs through
the same content phases. Reported per language: the share of spam stopped (held or rejected, by
any phase), the precision of "stopped", the share stopped by the spam phase itself, and the share
held of civil comments, and of civil comments with links. Its ``split`` was fixed before the
rules were tuned (on ``dev``); the ``test`` rows are the figures to quote.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from rostra.moderation.phases.links import find_links
from rostra.moderation.pipeline import Pipeline, build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action, Submission
from rostra.moderation.state import MemoryState

DATA_FILE = "heldout.jsonl"
SPAM_FILE = "spam.jsonl"
SPLITS = ("test", "dev", "all")


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    toxic: bool
    lang: str
    source: str


@dataclass(frozen=True, slots=True)
class Metrics:
    n: int
    toxic: int
    precision: float
    recall: float
    f1: float
    auc: float
    civil_held: float


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); NaN with only one class."""
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return math.nan
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def metrics(labels: Sequence[bool], flagged: Sequence[bool], scores: Sequence[float]) -> Metrics:
    tp = sum(y and f for y, f in zip(labels, flagged, strict=True))
    fp = sum(f and not y for y, f in zip(labels, flagged, strict=True))
    fn = sum(y and not f for y, f in zip(labels, flagged, strict=True))
    civil = len(labels) - sum(labels)
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return Metrics(
        n=len(labels),
        toxic=sum(labels),
        precision=precision,
        recall=recall,
        f1=f1,
        auc=roc_auc(labels, scores),
        civil_held=fp / civil if civil else math.nan,
    )


def _read(path: Path | None, default: str) -> str:
    if path is None:
        return (resources.files("rostra.moderation") / "eval" / default).read_text("utf-8")
    return path.read_text("utf-8")


def load(path: Path | None = None) -> list[Labelled]:
    """The labelled set at ``path``, or the one shipped in ``rostra/moderation/eval``."""
    text = _read(path, DATA_FILE)
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            rows.append(
                Labelled(
                    text=str(data["text"]),
                    toxic=bool(int(data["toxic"])),
                    lang=str(data.get("lang") or "und"),
                    source=str(data.get("source") or ""),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path or DATA_FILE}, line {number}: not a labelled comment") from exc
    return rows


@dataclass(frozen=True, slots=True)
class Outcome:
    row: Labelled
    flagged: bool
    toxicity: float


def content_pipeline(settings: Mapping[str, object] | None = None) -> Pipeline:
    """The site's content phases alone: no rate limits, repeats or author history."""
    base = dict(settings or {})
    base["duplicates"] = {"enabled": False}
    base["history"] = {"enabled": False}
    return build_pipeline(Policy.from_settings(base), MemoryState(), rate_limits=False)


def run(
    rows: Iterable[Labelled],
    settings: Mapping[str, object] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Outcome], float]:
    """Run every row through the content phases; returns the outcomes and seconds taken.

    ``progress`` is called with the number of rows done after each row (a full run takes minutes,
    so the command shows how far it is).
    """
    pipeline = content_pipeline(settings)
    now = datetime.now(UTC)
    out = []
    started = time.perf_counter()
    for row in rows:
        record = pipeline.run(Submission(site_id=1, body=row.text, now=now))
        tox = record.scores.get("toxicity")
        if tox is None:  # rejected before the classifier ran: as sure as it gets
            tox = 1.0 if record.verdict is Action.REJECT else 0.0
        out.append(Outcome(row, record.verdict is not Action.PUBLISH, tox))
        if progress is not None:
            progress(len(out))
    return out, time.perf_counter() - started


def by_group(outcomes: Sequence[Outcome], key: str = "lang") -> dict[str, Metrics]:
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(getattr(o.row, key), []).append(o)
    table = {}
    for name in sorted(groups):
        items = groups[name]
        table[name] = metrics(
            [o.row.toxic for o in items], [o.flagged for o in items], [o.toxicity for o in items]
        )
    if len(groups) > 1:
        table["all"] = metrics(
            [o.row.toxic for o in outcomes],
            [o.flagged for o in outcomes],
            [o.toxicity for o in outcomes],
        )
    return table


def _fmt(value: float, percent: bool = False) -> str:
    if math.isnan(value):
        return "-"
    return f"{value * 100:.1f} %" if percent else f"{value:.3f}"


def markdown(table: Mapping[str, Metrics], title: str = "language") -> str:
    lines = [
        f"| {title} | n | toxic | precision | recall | F1 | ROC-AUC | civil held |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in table.items():
        lines.append(
            f"| {name} | {m.n} | {m.toxic} | {_fmt(m.precision)} | {_fmt(m.recall)} "
            f"| {_fmt(m.f1)} | {_fmt(m.auc)} | {_fmt(m.civil_held, percent=True)} |"
        )
    return "\n".join(lines)


# -- spam -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpamRow:
    text: str
    spam: bool
    lang: str
    kind: str
    split: str


@dataclass(frozen=True, slots=True)
class SpamOutcome:
    row: SpamRow
    stopped: bool
    by_spam: bool
    links: bool


@dataclass(frozen=True, slots=True)
class SpamMetrics:
    n: int
    spam: int
    #: Share of spam held or rejected (by any phase), and of it by the spam phase.
    recall: float
    by_spam: float
    precision: float
    civil_held: float
    civil_links: int
    civil_links_held: float

    def to_dict(self) -> dict[str, float | int | None]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in (
            ("n", self.n), ("spam", self.spam), ("recall", self.recall),
            ("by_spam", self.by_spam), ("precision", self.precision),
            ("civil_held", self.civil_held), ("civil_links", self.civil_links),
            ("civil_links_held", self.civil_links_held),
        )}  # fmt: skip


def load_spam(path: Path | None = None, split: str = "test") -> list[SpamRow]:
    """The spam set's rows of ``split`` (``test``, ``dev`` or ``all``), from ``path`` or shipped."""
    if split not in SPLITS:
        raise ValueError(f"the split must be one of {', '.join(SPLITS)}")
    rows = []
    for number, line in enumerate(_read(path, SPAM_FILE).splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            row = SpamRow(
                text=str(data["text"]),
                spam=bool(int(data["spam"])),
                lang=str(data.get("lang") or "und"),
                kind=str(data.get("kind") or ""),
                split=str(data.get("split") or "test"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path or SPAM_FILE}, line {number}: not a labelled comment") from exc
        if split == "all" or row.split == split:
            rows.append(row)
    return rows


def run_spam(
    rows: Iterable[SpamRow],
    settings: Mapping[str, object] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[SpamOutcome], float]:
    """Run every spam-set row through the content phases; the outcomes and seconds taken."""
    pipeline = content_pipeline(settings)
    now = datetime.now(UTC)
    out = []
    started = time.perf_counter()
    for row in rows:
        record = pipeline.run(Submission(site_id=1, body=row.text, now=now))
        by_spam = any(v.phase == "spam" and v.action is not Action.PUBLISH for v in record.verdicts)
        stopped = record.verdict is not Action.PUBLISH
        out.append(SpamOutcome(row, stopped, by_spam, bool(find_links(row.text))))
        if progress is not None:
            progress(len(out))
    return out, time.perf_counter() - started


def spam_metrics(outcomes: Sequence[SpamOutcome]) -> SpamMetrics:
    spam = [o for o in outcomes if o.row.spam]
    civil = [o for o in outcomes if not o.row.spam]
    linked = [o for o in civil if o.links]
    stopped = sum(o.stopped for o in spam)
    false = sum(o.stopped for o in civil)

    def share(part: int, whole: int) -> float:
        return part / whole if whole else math.nan

    return SpamMetrics(
        n=len(outcomes),
        spam=len(spam),
        recall=share(stopped, len(spam)),
        by_spam=share(sum(o.by_spam for o in spam), len(spam)),
        precision=share(stopped, stopped + false),
        civil_held=share(false, len(civil)),
        civil_links=len(linked),
        civil_links_held=share(sum(o.stopped for o in linked), len(linked)),
    )


def spam_by_group(outcomes: Sequence[SpamOutcome], key: str = "lang") -> dict[str, SpamMetrics]:
    groups: dict[str, list[SpamOutcome]] = {}
    for o in outcomes:
        groups.setdefault(getattr(o.row, key), []).append(o)
    table = {name: spam_metrics(groups[name]) for name in sorted(groups)}
    if len(groups) > 1:
        table["all"] = spam_metrics(outcomes)
    return table


def spam_markdown(table: Mapping[str, SpamMetrics], title: str = "language") -> str:
    lines = [
        f"| {title} | n | spam | stopped | by the spam check | precision | civil held "
        "| civil with links | their share held |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in table.items():
        lines.append(
            f"| {name} | {m.n} | {m.spam} | {_fmt(m.recall, True)} | {_fmt(m.by_spam, True)} "
            f"| {_fmt(m.precision)} | {_fmt(m.civil_held, True)} | {m.civil_links} "
            f"| {_fmt(m.civil_links_held, True)} |"
        )
    return "\n".join(lines)
