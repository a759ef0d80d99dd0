"""What every section of the evaluation shares: ROC-AUC, shares, the shipped files, formatting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path


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


def share(part: int, whole: int) -> float:
    """``part / whole``, NaN for an empty whole (a figure that cannot be measured)."""
    return part / whole if whole else math.nan


def wilson(part: int, whole: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of the share ``part / whole`` (NaN, NaN when empty): how
    far a share measured on a few comments may be from the share on many."""
    if not whole:
        return math.nan, math.nan
    p = part / whole
    centre = (p + z * z / (2 * whole)) / (1 + z * z / whole)
    half = z * math.sqrt(p * (1 - p) / whole + z * z / (4 * whole * whole)) / (1 + z * z / whole)
    return max(0.0, centre - half), min(1.0, centre + half)


def auc_interval(auc: float, pos: int, neg: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % interval of a ROC-AUC measured on ``pos`` abusive and ``neg`` civil comments
    (Hanley and McNeil, 1982, normal approximation); NaN, NaN without a figure. Its width says
    how much a figure on 50 comments can be trusted (it is too narrow near 0 and 1)."""
    if math.isnan(auc) or not pos or not neg:
        return math.nan, math.nan
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (pos - 1) * (q1 - auc * auc) + (neg - 1) * (q2 - auc * auc)) / (
        pos * neg
    )
    half = z * math.sqrt(max(var, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def read_shipped(path: Path | None, default: str) -> str:
    """The file at ``path``, or the one named ``default`` shipped in ``rostra/moderation/eval``;
    a file that cannot be read, or is not UTF-8, is a ``ValueError`` naming it (and the line)."""
    if path is None:
        return (resources.files("rostra.moderation") / "eval" / default).read_text("utf-8")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(f"{path}, line {line}: not UTF-8 text") from None


def fmt(value: float, percent: bool = False) -> str:
    """A figure for a Markdown table: three decimals, or a percentage; ``-`` when unmeasured."""
    if math.isnan(value):
        return "-"
    return f"{value * 100:.1f} %" if percent else f"{value:.3f}"


def plain(value: float) -> float | None:
    """A figure for JSON: NaN (unmeasured) as null."""
    return None if math.isnan(value) else value
