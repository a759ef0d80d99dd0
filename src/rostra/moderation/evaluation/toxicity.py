"""Toxicity on a labelled set: every comment through the content phases, figures per group.

Each labelled comment (``{"text", "toxic": 0|1, "lang", "source"[, "label",
"functionality"]}``) runs through the site's content phases on its own (no rate limits,
repeats or author history: those judge context, not text). A comment counts as flagged when
the verdict is hold or reject. Reported per group (language, source, or any key of the row):
precision, recall and F1 of "flagged" against the label, ROC-AUC of the toxicity score, and
the share of civil comments held.

*News-style* comments are the ones a newsroom's section looks like: Rostra's own written news
comments (source ``rostra_written``) and, in a set of one's own (``--data``), rows that name no
source. The other sources of the shipped held-out set are public real-comment test splits.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rostra.moderation.evaluation.common import auc_interval, fmt, read_shipped, roc_auc
from rostra.moderation.pipeline import Pipeline, build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action, Submission
from rostra.moderation.state import MemoryState

DATA_FILE = "heldout.jsonl"
#: Sources whose rows are news-style comments (the empty source: a set of one's own).
NEWS_SOURCES = ("rostra_written", "")


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    toxic: bool
    lang: str
    source: str
    #: The HateCheck functionality of a functional test; empty for a comment.
    functionality: str = ""
    #: What kind of comment it is, where the set says (``civil:quoted``, ``abusive:threat``).
    label: str = ""

    @property
    def news(self) -> bool:
        return self.source in NEWS_SOURCES


@dataclass(frozen=True, slots=True)
class Metrics:
    n: int
    toxic: int
    precision: float
    recall: float
    f1: float
    auc: float
    civil_held: float


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


def load(path: Path | None = None, default: str = DATA_FILE) -> list[Labelled]:
    """The labelled set at ``path``, or the file ``default`` shipped in rostra/moderation/eval."""
    text = read_shipped(path, default)
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
                    functionality=str(data.get("functionality") or ""),
                    label=str(data.get("label") or ""),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path or default}, line {number}: not a labelled comment") from exc
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

    ``progress`` is called with the number of rows done after each row (a full run takes a
    while, so the command shows how far it is).
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


def of(outcomes: Sequence[Outcome]) -> Metrics:
    """The figures of a group of outcomes."""
    return metrics(
        [o.row.toxic for o in outcomes],
        [o.flagged for o in outcomes],
        [o.toxicity for o in outcomes],
    )


def grouped(
    outcomes: Sequence[Outcome], key: Callable[[Outcome], str], total: bool = True
) -> dict[str, Metrics]:
    """The figures per ``key`` (sorted), and for ``all`` when there is more than one group."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(key(o), []).append(o)
    table = {name: of(groups[name]) for name in sorted(groups)}
    if total and len(groups) > 1:
        table["all"] = of(outcomes)
    return table


def by_group(outcomes: Sequence[Outcome], key: str = "lang") -> dict[str, Metrics]:
    """The figures per value of the rows' field ``key``, and for ``all``."""
    return grouped(outcomes, lambda o: str(getattr(o.row, key)))


def source_name(row: Labelled) -> str:
    """A source's row in the table by source: public splits per language (``mlma (fr)``)."""
    if row.news:
        return row.source or "(no source)"
    return f"{row.source} ({row.lang})"


def by_source(outcomes: Sequence[Outcome]) -> dict[str, Metrics]:
    """The figures per source; a public source per language, each a test split of its own."""
    return grouped(outcomes, lambda o: source_name(o.row))


def news_by_language(outcomes: Sequence[Outcome]) -> dict[str, Metrics]:
    """The news-style comments' figures per language (where the per-language targets apply)."""
    return by_group([o for o in outcomes if o.row.news], "lang")


def markdown(
    table: Mapping[str, Metrics], title: str = "language", marks: Mapping[str, str] | None = None
) -> str:
    """The table as Markdown; ``marks`` adds the ROC-AUC's 95 % interval and a last column (the
    targets met or missed)."""
    head = f"| {title} | n | toxic | precision | recall | F1 | ROC-AUC | civil held |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if marks is not None:
        head += " ROC-AUC 95 % | targets |"
        rule += "---:|---|"
    lines = [head, rule]
    for name, m in table.items():
        line = (
            f"| {name} | {m.n} | {m.toxic} | {fmt(m.precision)} | {fmt(m.recall)} "
            f"| {fmt(m.f1)} | {fmt(m.auc)} | {fmt(m.civil_held, percent=True)} |"
        )
        if marks is not None:
            low, high = auc_interval(m.auc, m.toxic, m.n - m.toxic)
            shown = "-" if math.isnan(low) else f"{low:.2f}–{high:.2f}"
            line += f" {shown} | {marks.get(name, '')} |"
        lines.append(line)
    return "\n".join(lines)
