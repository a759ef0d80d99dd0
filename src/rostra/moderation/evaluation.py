"""Evaluation of the moderation pipeline on a labelled set: per-language quality figures.

Each labelled comment (``{"text", "toxic": 0|1, "lang", "source"}``) runs through the site's
content phases on its own (no rate limits, repeats or author history: those judge context, not
text). A comment counts as flagged when the verdict is hold or reject. Reported per language:
precision, recall and F1 of "flagged" against the label, ROC-AUC of the toxicity score, and the
share of civil comments held.
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

from rostra.moderation.pipeline import build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action, Submission
from rostra.moderation.state import MemoryState

DATA_FILE = "heldout.jsonl"


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


def load(path: Path | None = None) -> list[Labelled]:
    """The labelled set at ``path``, or the one shipped in ``rostra/moderation/eval``."""
    if path is None:
        text = (resources.files("rostra.moderation") / "eval" / DATA_FILE).read_text("utf-8")
    else:
        text = path.read_text("utf-8")
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


def run(
    rows: Iterable[Labelled],
    settings: Mapping[str, object] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Outcome], float]:
    """Run every row through the content phases; returns the outcomes and seconds taken.

    ``progress`` is called with the number of rows done after each row (a full run takes minutes,
    so the command shows how far it is).
    """
    base = dict(settings or {})
    base["duplicates"] = {"enabled": False}
    base["history"] = {"enabled": False}
    policy = Policy.from_settings(base)
    pipeline = build_pipeline(policy, MemoryState(), rate_limits=False)
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
