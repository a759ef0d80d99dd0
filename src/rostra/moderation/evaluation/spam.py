"""Spam on the spam set: the share stopped, the precision of stopping, civil comments held.

The spam set (``spam.jsonl``: ``{"text", "spam": 0|1, "lang", "kind", "split"}``) runs through
the same content phases as the toxicity set. Reported per language: the share of spam stopped
(held or rejected, by any phase), the precision of "stopped", the share stopped by the spam
phase itself, and the share held of civil comments, and of civil comments with links. Its
``split`` was fixed before the rules were tuned (on ``dev``); the ``test`` rows are the figures
to quote.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rostra.moderation.evaluation.common import fmt, read_shipped, share
from rostra.moderation.evaluation.toxicity import content_pipeline
from rostra.moderation.phases.links import find_links
from rostra.moderation.record import Action, Submission

SPAM_FILE = "spam.jsonl"
SPLITS = ("test", "dev", "all")


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
    for number, line in enumerate(read_shipped(path, SPAM_FILE).splitlines(), 1):
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
            f"| {name} | {m.n} | {m.spam} | {fmt(m.recall, True)} | {fmt(m.by_spam, True)} "
            f"| {fmt(m.precision)} | {fmt(m.civil_held, True)} | {m.civil_links} "
            f"| {fmt(m.civil_links_held, True)} |"
        )
    return "\n".join(lines)
