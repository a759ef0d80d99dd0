"""The attribution files the README names exist and state what the shipped files hold.

README.md names ``src/rostra/moderation/eval/ATTRIBUTION.md`` (the held-out set's "samples of
public data sets") and ``src/rostra/moderation/classifier/models/ATTRIBUTION.md`` ("The toxicity
model is trained from public labelled data whose sources, licences and attribution are in"
it). Here each file is compared with what it describes: the held-out set's rows, languages and
licences per source (and the licences the export script allows), and the model artefact's own
record of the sources it was trained on and held out. LICENSE itself is tested in
test_licence.py.
"""

from __future__ import annotations

import collections
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "src" / "rostra" / "moderation" / "eval"
MODELS = ROOT / "src" / "rostra" / "moderation" / "classifier" / "models"
WRITTEN = ROOT / "training" / "data" / "news_comments_written.jsonl"

# How the model's attribution names each source the artefact records (its ids).
SOURCE_NAMES = {
    "civil_comments_toxic_spans": "Civil Comments posts from the Toxic Spans corpus",
    "davidson2017": "Davidson et al. hate speech and offensive language",
    "germeval2018": "GermEval 2018",
    "korean_hate_speech": "BEEP! Korean HateSpeech corpus",
    "mlma": "MLMA hate speech",
    "rostra_written": "Rostra's own written news comments",
    "russian_distorted_toxicity": "Russian Distorted Toxicity",
    "toldbr": "ToLD-Br",
}
HELD_OUT_NAMES = {"dkhate": "DKhate"}
# The attribution's licence names, as the export script spells them.
LICENCE_IDS = {"CC0 1.0": "CC0-1.0", "CC BY 4.0": "CC-BY-4.0", "MIT": "MIT"}


def table_rows(text: str) -> list[list[str]]:
    """The cells of every body row of the Markdown tables in ``text``."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-:| ]+\|$", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:] if rows else rows


def test_the_readme_names_both_attribution_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in (EVAL / "ATTRIBUTION.md", MODELS / "ATTRIBUTION.md"):
        named = str(path.relative_to(ROOT))
        assert f"`{named}`" in readme, named
        assert path.is_file(), named


def heldout() -> list[dict[str, object]]:
    lines = (EVAL / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_the_held_out_sets_attribution_counts_its_rows_and_names_their_licences() -> None:
    text = (EVAL / "ATTRIBUTION.md").read_text(encoding="utf-8")
    rows = heldout()
    counts = collections.Counter(str(r["source"]) for r in rows)
    languages: dict[str, set[str]] = collections.defaultdict(set)
    for r in rows:
        languages[str(r["source"])].add(str(r["lang"]))

    stated = {}
    # The held-out set's section only: the spam set and the functional tests have their own.
    for cells in table_rows(text.split("\n# The spam set", 1)[0]):
        source = cells[0].strip("`")
        stated[source] = cells
    assert set(stated) == set(counts), "every source of heldout.jsonl, and only those"
    sys.path.insert(0, str(ROOT / "training"))
    try:
        from export_heldout import PUBLIC  # the licences the export lets through
    finally:
        sys.path.remove(str(ROOT / "training"))
    for source, cells in stated.items():
        _, n, langs, licence, citation = cells
        assert int(n) == counts[source], source
        assert {x.strip() for x in langs.split(",")} == languages[source], source
        assert citation, source
        if source == "rostra_written":
            assert licence == "same as Rostra"
            continue
        for lang in languages[source]:
            assert PUBLIC[(source, lang)] == LICENCE_IDS[licence], (source, lang)
    # The public sets' notices: the MIT one for the MIT sources, links for the CC licences.
    mit = [s for s, cells in stated.items() if cells[3] == "MIT"]
    assert mit and all(f"`{s}`" in text.split("MIT notice", 1)[1].split(":", 1)[0] for s in mit)
    assert "Permission is hereby granted" in " ".join(text.split())
    assert "creativecommons.org/licenses/by/4.0" in text
    assert "creativecommons.org/publicdomain/zero/1.0" in text


TOXICITY = MODELS / "toxicity_v1.npz"
SPAM = MODELS / "spam_v1.npz"


def artefact_meta(artefact: Path = TOXICITY) -> dict[str, object]:
    with np.load(artefact, allow_pickle=False) as z:
        meta: dict[str, object] = json.loads(str(z["meta"]))
    return meta


def test_the_models_attribution_names_every_source_it_was_trained_on() -> None:
    text = (MODELS / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert {p.name for p in MODELS.glob("*.npz")} == {TOXICITY.name, SPAM.name}
    assert text.startswith(f"# Attribution for `{TOXICITY.name}`")
    meta = artefact_meta()
    trained = str(meta["trained"]).removeprefix("train split of ").split(", ")
    assert set(trained) == set(SOURCE_NAMES), trained
    rows = {cells[0]: cells for cells in table_rows(text.split("## Training data", 1)[1])}
    for source in trained:
        name = SOURCE_NAMES[source]
        found = [cells for first, cells in rows.items() if first.startswith(name)]
        assert len(found) == 1, f"{source} ({name}) is not in the training table"
        _, licence, citation = found[0]
        assert licence and citation, source
    evaluation_only = text.split("Used for **evaluation only**", 1)[1].split("\n\n", 1)[0]
    for source in meta["held_out_sources"]:  # type: ignore[attr-defined]
        assert HELD_OUT_NAMES[source] in evaluation_only, source
    # Every MIT source has the MIT notice, every CC one its licence's link.
    flat = " ".join(text.split())
    for cells in rows.values():
        if cells[1] == "MIT":
            assert "Permission is hereby granted" in flat
        if "CC BY" in cells[1]:
            assert "creativecommons.org/licenses/by" in flat


def test_the_models_attribution_counts_the_written_comments() -> None:
    text = (MODELS / "ATTRIBUTION.md").read_text(encoding="utf-8")
    line = next(cells for cells in table_rows(text) if cells[0].startswith("Rostra's own"))
    stated = re.search(r"([\d,]+) comments in ([a-z/]+)", line[0])
    assert stated, line
    rows = [json.loads(x) for x in WRITTEN.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert int(stated.group(1).replace(",", "")) == len(rows)
    assert set(stated.group(2).split("/")) == {r["lang"] for r in rows}


def test_the_spam_models_attribution_names_its_written_data() -> None:
    """The spam model is trained on Rostra's own written text only; its section names each file
    the artefact records."""
    text = (MODELS / "ATTRIBUTION.md").read_text(encoding="utf-8")
    section = text.split(f"# Attribution for `{SPAM.name}`", 1)[1]
    for source in artefact_meta(SPAM)["data"]:  # type: ignore[attr-defined]
        assert f"`{str(source).split()[0]}`" in section, source
    assert "no third-party data" in section
