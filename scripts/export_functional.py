#!/usr/bin/env python
"""Export the functional tests shipped in ``src/rostra/moderation/eval/functional.jsonl``.

    python scripts/export_functional.py [DATA_DIR]

``DATA_DIR`` (default ``../shared/data/toxicity``) holds ``hatecheck_en.jsonl`` and
``multilingual_hatecheck.jsonl`` (CC BY 4.0, see the data's README). Rows: a fixed random sample
per language (en, fr, de, es, ar: the five of Rostra's six languages the two suites cover; there
is no Russian suite) and per functionality: ``FOCUS_PER_CELL`` rows of the functionalities
``rostra moderation eval`` reports by name (counter-speech, quotes, negation, threats, slurs,
neutral and positive mentions of groups), ``OTHER_PER_CELL`` of every other one. The label is
the data's binary ``toxic`` (hateful, or abuse and profanity that a moderator removes too);
``functionality`` is the suite's own name after the colon of its ``label``. The sample is drawn
from the texts sorted, with a fixed seed, so two runs write the same file.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "toxicity"
OUT = REPO / "src" / "rostra" / "moderation" / "eval" / "functional.jsonl"
FILES = ("hatecheck_en.jsonl", "multilingual_hatecheck.jsonl")
LANGUAGES = ("en", "fr", "de", "es", "ar")
FOCUS = {
    "counter_quote_nh",
    "counter_ref_nh",
    "negate_neg_nh",
    "negate_pos_h",
    "threat_dir_h",
    "threat_norm_h",
    "slur_h",
    "slur_homonym_nh",
    "slur_reclaimed_nh",
    "ident_neutral_nh",
    "ident_pos_nh",
}
FOCUS_PER_CELL = 20
OTHER_PER_CELL = 6
SEED = 20261208


def main(argv: list[str]) -> int:
    data = Path(argv[0]) if argv else DEFAULT_DATA
    cells: dict[tuple[str, str], list[dict[str, object]]] = {}
    for name in FILES:
        with (data / name).open(encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if r["lang"] not in LANGUAGES:
                    continue
                functionality = str(r["label"]).split(":", 1)[1]
                cells.setdefault((r["lang"], functionality), []).append(
                    {
                        "text": r["text"],
                        "toxic": int(r["toxic"]),
                        "lang": r["lang"],
                        "source": r["source"],
                        "functionality": functionality,
                    }
                )
    rng = random.Random(SEED)
    out = []
    for key in sorted(cells):
        pool = sorted(cells[key], key=lambda r: str(r["text"]))
        k = FOCUS_PER_CELL if key[1] in FOCUS else OTHER_PER_CELL
        out.extend(rng.sample(pool, min(k, len(pool))))
    with OUT.open("w", encoding="utf-8") as fh:
        for r in out:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} rows to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
