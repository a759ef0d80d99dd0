"""The moderation models on one core: milliseconds per comment, and a process's memory with them.

What the README says of the shipped models ("scoring takes 2–5 ms per comment on one core; a
worker with the models loaded uses about 280 MB"), measured in a process of its own:

1. RSS after importing the app (``rostra.app``, what a server worker imports), then after loading
   the language identifier and the toxicity classifier (``PipelineModerator.warm_up``, what a
   worker does before it serves);
2. every comment of the shipped held-out set (805 rows, eight languages) through the content
   phases (``rostra.moderation.evaluation.run``: language, spam, links, toxicity), twice — the
   first pass warms the caches, the second is timed per comment — and the classifier alone on
   the same texts.

BLAS is held to one thread, as in a server (``one_blas_thread``). Prints the figures and writes
bench/results/scoring-<UTC stamp>.json, or the file ``--json`` names (latest.md is left alone).

    .venv/bin/python bench/scoring_bench.py [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mib() -> float:
    with open(f"/proc/{os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure() -> dict[str, object]:
    start_rss = rss_mib()
    import rostra.app  # noqa: F401  (what a server worker imports)
    from rostra.domain.models import Site
    from rostra.moderation import evaluation
    from rostra.moderation.classifier.linear import load_default_classifier
    from rostra.moderation.moderator import PipelineModerator
    from rostra.moderation.state import MemoryState

    imported_rss = rss_mib()
    started = time.perf_counter()
    PipelineModerator(MemoryState(), address_key=b"k" * 32).warm_up(
        [Site(id=1, slug="bench", name="Bench", allowed_origins=())]
    )
    load_seconds = time.perf_counter() - started
    loaded_rss = rss_mib()

    rows = evaluation.load()
    evaluation.run(rows)  # warms every cache the first comments would pay for
    marks: list[float] = []
    evaluation.run(rows, progress=lambda _n: marks.append(time.perf_counter()))
    # progress is called after each row: the gaps between calls are the rows' times (the first
    # row's time is left out, it has no call before it).
    pipeline_ms = [(b - a) * 1000 for a, b in zip(marks, marks[1:], strict=False)]

    classifier = load_default_classifier()
    classifier_ms = []
    for row in rows:
        t0 = time.perf_counter()
        classifier.score(row.text, row.lang)
        classifier_ms.append((time.perf_counter() - t0) * 1000)
    return {
        "comments": len(rows),
        "rss_mib": {
            "start": round(start_rss, 1),
            "app_imported": round(imported_rss, 1),
            "models_loaded": round(loaded_rss, 1),
            "after_scoring": round(rss_mib(), 1),
        },
        "model_load_seconds": round(load_seconds, 2),
        "pipeline_ms": summary(pipeline_ms),
        "classifier_ms": summary(classifier_ms),
    }


def summary(values: list[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.fmean(values), 2),
        "p50": round(percentile(values, 0.5), 2),
        "p95": round(percentile(values, 0.95), 2),
        "max": round(max(values), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the result here too")
    args = parser.parse_args(argv)
    result = measure()
    rss = result["rss_mib"]
    pipe = result["pipeline_ms"]
    clf = result["classifier_ms"]
    assert isinstance(rss, dict) and isinstance(pipe, dict) and isinstance(clf, dict)
    print(
        f"[scoring] {result['comments']} comments: content phases {pipe['mean']} ms mean, "
        f"p50 {pipe['p50']} ms, p95 {pipe['p95']} ms; classifier alone {clf['mean']} ms mean, "
        f"p95 {clf['p95']} ms"
    )
    print(
        f"[scoring] RSS {rss['start']} MiB at start, {rss['app_imported']} MiB with the app, "
        f"{rss['models_loaded']} MiB with the models (loaded in {result['model_load_seconds']} s),"
        f" {rss['after_scoring']} MiB after scoring"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result["stamp"] = stamp
    text = json.dumps(result, indent=2) + "\n"
    out = ROOT / "bench" / "results" / f"scoring-{stamp}.json"
    if args.json is not None:
        args.json.write_text(text, encoding="utf-8")
    else:
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
