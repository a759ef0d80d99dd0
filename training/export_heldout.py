#!/usr/bin/env python
"""Export the labelled evaluation set shipped in ``src/rostra/moderation/eval/heldout.jsonl``.

    python training/export_heldout.py [DATA_DIR]

Rows: every test-split row of Rostra's own written news comments, plus a small, stratified sample
(25 toxic + 25 civil where available) of the *test* split of the public sources whose licences
allow redistributing text (CC0, CC BY 4.0, MIT), and of DKhate (never trained on). The split is the
one ``common.assign_split`` fixes for training, so none of these rows was trained on.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

#: (source, language) -> licence; only sources that allow redistribution of their text.
PUBLIC = {
    ("civil_comments_toxic_spans", "en"): "CC0-1.0",
    ("germeval2018", "de"): "CC-BY-4.0",
    ("russian_distorted_toxicity", "ru"): "MIT",
    ("mlma", "fr"): "MIT",
    ("mlma", "ar"): "MIT",
    ("dkhate", "da"): "CC-BY-4.0",
}
PER_CLASS = 25
OUT = common.REPO / "src" / "rostra" / "moderation" / "eval" / "heldout.jsonl"


def main(argv: list[str]) -> int:
    data_dir = Path(argv[0]) if argv else common.DEFAULT_DATA
    rows = common.load_rows(data_dir)
    rng = random.Random(20261126)
    out = []
    for r in rows:
        if r["source"] == "rostra_written" and r["split"] == "test":
            out.append(r)
    for (source, lang), _licence in PUBLIC.items():
        pool = [
            r
            for r in rows
            if r["source"] == source
            and r["lang"] == lang
            and r["split"] in ("test", "transfer")
            and 20 <= len(r["text"]) <= 600
        ]
        pool.sort(key=lambda r: r["text"])
        for label in (1, 0):
            cls = [r for r in pool if r["toxic"] == label]
            out.extend(rng.sample(cls, min(PER_CLASS, len(cls))))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as fh:
        for r in out:
            row = {k: r[k] for k in ("text", "toxic", "lang", "source")}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} rows to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
