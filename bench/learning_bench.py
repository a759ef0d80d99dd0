"""Learning from the desk, measured: what 50 corrections change, what the phase costs, what a
site's learnt memory takes.

1. **The simulated stream** (tests/moderation/learning_stream.py: country-life comments in
   English, French, German and Spanish, written by Rostra's contributors) through ``rostra
   moderate`` as a user runs it, twice: without decisions, then with a simulated moderator's
   (the comments of the kind the shared model holds in the training part approved until the
   50th, each abusive one it publishes rejected). Printed: the evaluation part's false holds of
   the kind, abusive comments stopped, other civil comments held, before and after, per
   language; with the shipped model and with the test's stand-in model (which holds every
   comment of the kind, whatever the shipped model's version does).
2. **The phase's cost per comment**: the learning phase alone on every comment of the stream,
   after the rest of the default pipeline ran, with a site memory of 0, 100 and 2,000 examples,
   its fingerprint computed by the duplicates phase (as with the default policy) or by itself
   (duplicates off); and each check of the default pipeline per comment, learning on with 2,000
   examples, to see its share.
3. **A site's memory**: the arrays a process keeps for 2,000 examples, and the bytes of a stored
   example row.

The models run on one core with one BLAS thread, as in a server. Times are the thread's CPU
time (``time.thread_time``), so that other work on a shared machine does not count as ours.
Prints the figures and writes bench/results/learning-<UTC stamp>.json (or the file ``--json``
names); ``--cost-only`` leaves the stream out.

    .venv/bin/python bench/learning_bench.py [--json PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.moderation import learning_stream  # noqa: E402

from rostra.moderation.classifier.linear import one_blas_thread  # noqa: E402
from rostra.moderation.learning import (  # noqa: E402
    APPROVE,
    REJECT,
    Learning,
    LearningConfig,
    SiteExamples,
    encode_signature,
    signature_of,
)
from rostra.moderation.pipeline import build_pipeline  # noqa: E402
from rostra.moderation.policy import Policy  # noqa: E402
from rostra.moderation.record import ModerationRecord, Submission  # noqa: E402
from rostra.moderation.state import LearntExample, MemoryState  # noqa: E402

ROSTRA = ROOT / ".venv" / "bin" / "rostra"


def moderate(lines: list[str], settings: dict[str, object]) -> list[dict[str, object]]:
    """``rostra moderate`` on ``lines``, in a process of its own (which finds the stand-in
    model of tests/moderation/learning_stream.py on its PYTHONPATH)."""
    done = subprocess.run(
        [str(ROSTRA), "moderate", "--settings", json.dumps(settings), "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise SystemExit(f"rostra moderate failed: {done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def stream_figures(settings: dict[str, object]) -> dict[str, object]:
    result = learning_stream.simulate(moderate, settings)
    out: dict[str, object] = {
        "approvals": result.approvals,
        "rejections": result.rejections,
        "lifted": result.lifted,
        "learnt_holds": result.learnt_holds,
    }
    for name, fig in (("before", result.before), ("after", result.after)):
        out[name] = {
            "kind_held": fig.kind_held,
            "kind": fig.kind,
            "abusive_stopped": fig.abusive_stopped,
            "abusive": fig.abusive,
            "civil_held": fig.civil_held,
            "civil": fig.civil,
            "kind_held_by_lang": {k: list(v) for k, v in fig.by_lang.items()},
        }
    return out


def memory_of(items: list[learning_stream.Item], size: int) -> MemoryState:
    """A site memory of ``size`` examples: the stream's own signatures, labels at random."""
    rng = random.Random(size)
    state = MemoryState()
    bodies = [it.body for it in items]
    for n in range(size):
        body = rng.choice(bodies) + f" ({n})"
        sig = signature_of(body)
        if sig is None:
            continue
        label = APPROVE if rng.random() < 0.7 else REJECT
        state.learn(1, n, LearntExample(label, encode_signature(sig), rng.random()))
    return state


def phase_cost(
    items: list[learning_stream.Item], repeat: int
) -> tuple[dict[str, object], dict[str, object]]:
    texts = [it.body for it in items]
    now = datetime.now(UTC)
    costs: dict[str, object] = {}
    for duplicates in (True, False):
        settings = {"learning": {"enabled": False}, "duplicates": {"enabled": duplicates}}
        before = build_pipeline(Policy.from_settings(settings), MemoryState(), rate_limits=False)
        for size in (0, 100, 2000):
            state = memory_of(items, size)
            phase = Learning(LearningConfig(), state)
            timings: list[float] = []
            for _ in range(repeat):
                for text in texts:
                    sub = Submission(site_id=1, body=text, now=now)
                    record = before.run(sub)
                    started = time.thread_time()
                    phase(sub, record)
                    timings.append((time.thread_time() - started) * 1000)
            timings.sort()
            key = f"{size} examples, fingerprint {'shared' if duplicates else 'its own'}"
            costs[key] = {
                "mean_ms": round(statistics.fmean(timings), 4),
                "p99_ms": round(timings[int(len(timings) * 0.99)], 4),
            }
    # The whole default pipeline with learning on and 2,000 examples, phase by phase (CPU time
    # of each, summed over the passes after a first one that warms the caches): what share of a
    # comment's moderation the learning check is. (Timing the pipeline off and on as wholes
    # differed by more between passes than the check costs, on a shared machine.)
    pipeline = build_pipeline(Policy(), memory_of(items, 2000), rate_limits=False)
    spent = {phase.name: 0.0 for phase in pipeline.phases}
    for turn in range(repeat + 1):
        for text in texts:
            sub, record = Submission(site_id=1, body=text, now=now), ModerationRecord()
            for phase in pipeline.phases:
                started = time.thread_time()
                verdict = phase(sub, record)
                if turn:
                    spent[phase.name] += time.thread_time() - started
                if verdict is not None:
                    record.add(phase.name, verdict)
    count = repeat * len(texts)
    whole: dict[str, object] = {name: round(t * 1000 / count, 3) for name, t in spent.items()}
    whole["all"] = round(sum(spent.values()) * 1000 / count, 3)
    return costs, whole


def _out(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the result here too")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the stream (cost)")
    parser.add_argument("--cost-only", action="store_true", help="leave the stream out")
    args = parser.parse_args(argv)
    one_blas_thread()
    items = learning_stream.stream()
    streams: dict[str, dict[str, object]] = {}
    models = (
        ("shipped model", learning_stream.SETTINGS),
        ("stand-in model (the test's)", learning_stream.STAND_IN),
    )
    for model, settings in () if args.cost_only else models:
        print(f"simulated stream, {model}, through rostra moderate twice ...", file=sys.stderr)
        streams[model] = stream_figures(settings)
    print("the phase's cost ...", file=sys.stderr)
    costs, whole = phase_cost(items, args.repeat)
    examples = SiteExamples(memory_of(items, 2000).learnt_examples(1, 2000))
    row = len(encode_signature([0] * 128)) + 8 * 4 + 8  # signature text, ids, label, toxicity
    memory = {
        "examples": len(examples),
        "arrays_bytes": examples.nbytes,
        "stored_row_bytes_about": row,
    }
    model = "src/rostra/moderation/classifier/models/toxicity_v1.npz"
    git = ["git", "-C", str(ROOT)]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _out([*git, "rev-parse", "--short", "HEAD"]),
        # The shipped model's figures are of the model file in the working tree.
        "model_file_changed_since_commit": bool(_out([*git, "status", "--short", model])),
        "stream": streams,
        "phase_cost": costs,
        "pipeline_ms_per_comment": whole,
        "memory": memory,
    }
    print("\n## Learning from the desk\n")
    for model, figures in streams.items():
        before, after = figures["before"], figures["after"]
        assert isinstance(before, dict) and isinstance(after, dict)
        print(
            f"{model}: {figures['approvals']} approvals, {figures['rejections']} rejections in "
            f"training; evaluation part: {figures['lifted']} holds lifted, "
            f"{figures['learnt_holds']} added\n"
        )
        print("| evaluation part | before | after |")
        print("|---|---:|---:|")
        for name, held, of in (
            ("false holds of the kind", "kind_held", "kind"),
            ("abusive stopped", "abusive_stopped", "abusive"),
            ("other civil held", "civil_held", "civil"),
        ):
            print(f"| {name} | {before[held]}/{before[of]} | {after[held]}/{after[of]} |")
        for lang in learning_stream.LANGS:
            b, a = before["kind_held_by_lang"][lang], after["kind_held_by_lang"][lang]
            print(f"| false holds of the kind, {lang} | {b[0]}/{b[1]} | {a[0]}/{a[1]} |")
        print()
    print("| the learning phase alone (CPU) | mean ms | p99 ms |")
    print("|---|---:|---:|")
    for key, value in costs.items():
        assert isinstance(value, dict)
        print(f"| {key} | {value['mean_ms']} | {value['p99_ms']} |")
    print("\n| default pipeline, learning on, 2,000 examples (CPU) | ms per comment |")
    print("|---|---:|")
    for key, ms in whole.items():
        print(f"| {key} | {ms} |")
    print(
        f"\nA site's memory of {memory['examples']} examples: {memory['arrays_bytes']:,} bytes "
        f"of arrays per process; about {row} bytes per stored row."
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    paths = [ROOT / "bench" / "results" / f"learning-{stamp}.json"]
    if args.json:
        paths.append(Path(args.json))
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
