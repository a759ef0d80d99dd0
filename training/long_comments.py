#!/usr/bin/env python
"""Long comments: does an abusive passage inside a long civil comment still count?

    python training/long_comments.py [DATA_DIR] [--split test|dev] [--per-class 40]

No labelled set of long news comments exists here (Civil Comments' long rows are labelled near
chance for this model), so long comments are made from the written news comments of one split:
per language, ``--per-class`` civil ones (3 to 6 civil comments joined) and as many abusive
ones (2 to 5 civil comments with one abusive comment put at a random place among them). Each is
scored by the shipped classifier as it runs (every window, see ``features.windows``) and as
the classifier read comments before windows (the encoder on the first 300 characters, the
n-gram model on the first 1,500), at the classifier's hold threshold for the language. The
design (window size, soft maximum) was chosen on ``--split dev``; report ``--split test``.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from rostra.moderation.classifier import LinearToxicityClassifier  # noqa: E402
from rostra.moderation.classifier.features import model_text  # noqa: E402
from rostra.moderation.classifier.linear import one_blas_thread  # noqa: E402
from rostra.moderation.normalize import normalize  # noqa: E402


def long_comments(
    rows: list[dict[str, object]], per_class: int, seed: int
) -> list[tuple[str, int, str]]:
    """(language, toxic, text) rows made by joining written comments of one language."""
    rng = random.Random(seed)
    by: dict[tuple[str, int], list[str]] = {}
    for r in rows:
        by.setdefault((str(r["lang"]), int(str(r["toxic"]))), []).append(str(r["text"]))
    out = []
    for lang in sorted({k[0] for k in by}):
        civil, abusive = sorted(by.get((lang, 0), [])), sorted(by.get((lang, 1), []))
        if len(civil) < 6 or not abusive:
            continue
        for _ in range(per_class):
            out.append((lang, 0, " ".join(rng.sample(civil, rng.randint(3, 6)))))
            parts = rng.sample(civil, rng.randint(2, 5))
            parts.insert(rng.randint(0, len(parts)), rng.choice(abusive))
            out.append((lang, 1, " ".join(parts)))
    return out


def first_300(clf: LinearToxicityClassifier, texts: list[str]) -> np.ndarray:
    """The reading before windows: stacker on the n-gram logit of the first 1,500 characters
    and the encoder's of the first 300."""
    a, b, c = clf._stack  # noqa: SLF001 (the same weights, read the old way)
    enc = clf._encoder  # noqa: SLF001
    assert enc is not None
    emb = enc.encode([normalize(t[:300], lowercase=False, accents=False, max_run=3) for t in texts])
    zu = emb @ clf._use_w + clf._use_b  # noqa: SLF001
    zc = np.array([clf._char_logit(model_text(t[:1500])) for t in texts])  # noqa: SLF001
    return np.asarray(1.0 / (1.0 + np.exp(-(a * zc + b * zu + c))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data_dir", nargs="?", type=Path, default=common.DEFAULT_DATA)
    ap.add_argument("--split", default="test", choices=("dev", "test"))
    ap.add_argument("--per-class", type=int, default=40)
    args = ap.parse_args(argv)
    one_blas_thread()
    clf = LinearToxicityClassifier.from_package()
    if not clf.uses_encoder:
        print("the sentence encoder is not installed")
        return 1
    rows = [
        r
        for r in common.load_rows(args.data_dir)
        if r["source"] == "rostra_written" and r["split"] == args.split
    ]
    made = long_comments(rows, args.per_class, seed=8 if args.split == "test" else 7)
    texts = [t for _, _, t in made]
    y = np.array([tox for _, tox, _ in made])
    thr = np.array([clf.threshold_for(lang) for lang, _, _ in made])
    now = np.array([s["toxicity"] for s in clf.score_many(texts)])
    before = first_300(clf, texts)
    print(
        f"{len(made)} long comments from the written {args.split} split, "
        f"mean {np.mean([len(t) for t in texts]):.0f} characters; model {clf.name}\n"
    )
    print("| reading | ROC-AUC | abusive found | civil held |")
    print("|---|---:|---:|---:|")
    for name, p in (("first 300 characters (before)", before), ("every window (now)", now)):
        print(
            f"| {name} | {roc_auc_score(y, p):.3f} | {np.mean(p[y == 1] >= thr[y == 1]):.3f} "
            f"| {np.mean(p[y == 0] >= thr[y == 0]):.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
