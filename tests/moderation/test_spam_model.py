"""The trained spam model: shipped, loaded, used by the spam phase, and measured on written rows.

``training/data/spam_written.jsonl`` holds spam and civil comments written for Rostra in en, fr,
de, es, ru and ar, split train/dev/test by a hash of the text; its test rows were never trained
or calibrated on (``training/train_spam.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rostra.moderation import evaluation
from rostra.moderation.classifier.spam_model import SpamModel, load_spam_model
from rostra.moderation.phases.spam import MODEL_SUPPORT, Spam, SpamConfig, model_strength
from rostra.moderation.record import Action, ModerationRecord, PolicyError
from tests.moderation.helpers import submission

WRITTEN = Path(__file__).resolve().parents[2] / "training/data/spam_written.jsonl"
NO_TOXICITY = {"toxicity": {"enabled": False}}


def test_the_shipped_model_loads_with_its_calibration() -> None:
    model = load_spam_model()
    assert model.name == "rostra-spam-v1"
    assert 0.5 <= model.threshold < 1.0
    assert model is load_spam_model()
    assert Spam(SpamConfig()).model is model
    assert Spam(SpamConfig(model=False)).model is None


def test_the_model_separates_spam_from_civil() -> None:
    model = load_spam_model()
    spam = "Passive income 3000 dollars a week with my crypto signals, DM me on telegram @rich_fx"
    civil = "The council's minutes are online, the vote on the library budget was 31 to 12."
    assert model.probability(spam) >= model.threshold
    assert model.probability(civil) < 0.2
    assert model.probability("") == 0.0
    assert model.probability("   ") == 0.0


def test_the_phase_records_and_uses_the_model() -> None:
    """A pitch that the rules alone let through is held with the model: the test fails if the
    phase ever falls back to rules without saying so."""
    text = "Lonely tonight? Beautiful single ladies near you want to chat, see my profile"
    rules = ModerationRecord(facts={"links": 0})
    assert Spam(SpamConfig(model=False))(submission(text), rules) is None
    record = ModerationRecord(facts={"links": 0})
    verdict = Spam(SpamConfig())(submission(text), record)
    assert record.scores["spam_model"] >= load_spam_model().threshold
    assert verdict is not None and verdict.action is Action.HOLD
    assert "model" in verdict.reason
    assert record.scores["spam"] > rules.scores["spam"]


def test_model_strength_holds_alone_only_over_the_threshold() -> None:
    assert model_strength(0.9, 0.6, 0.8) == 0.8
    assert model_strength(0.6, 0.6, 0.8) == 0.8
    assert 0.0 < model_strength(0.59, 0.6, 0.8) <= 0.5
    assert model_strength(0.0, 0.6, 0.8) == 0.0


def test_the_model_setting_is_checked() -> None:
    assert SpamConfig.from_mapping({"model": False}).model is False
    with pytest.raises(PolicyError, match="spam.model"):
        SpamConfig.from_mapping({"model": "yes"})


def test_a_broken_artefact_fails_loudly() -> None:
    meta = np.array(json.dumps({"name": "x", "n_bits": 18, "threshold": 0.6}))
    with pytest.raises(ValueError, match="n_bits"):
        SpamModel(
            {"w": np.zeros(10, dtype=np.float16), "b": np.zeros((), np.float32), "meta": meta}
        )


def test_written_rows_split_by_hash_and_cover_every_language() -> None:
    rows = [json.loads(line) for line in WRITTEN.read_text(encoding="utf-8").splitlines()]
    test = [r for r in rows if r["split"] == "test"]
    assert {r["lang"] for r in test} == {"ar", "de", "en", "es", "fr", "ru"}
    assert sum(r["spam"] for r in test) >= 40 and sum(1 - r["spam"] for r in test) >= 40
    assert len({r["text"] for r in rows}) == len(rows)


def test_written_test_rows_generalise() -> None:
    """Rules and model on the written test rows (never trained on): 37 of 49 spam stopped by the
    spam check (75.5 %; rules alone 22, 44.9 %; 40 while the model could hold with no rule's
    sign of selling), none of the 45 civil held."""
    rows = evaluation.load_spam(WRITTEN, "test")
    found, _ = evaluation.run_spam(rows, NO_TOXICITY)
    m = evaluation.spam_metrics(found)
    assert m.by_spam >= 0.75
    assert [o.row.text for o in found if o.by_spam and not o.row.spam] == []
    rules, _ = evaluation.run_spam(rows, {**NO_TOXICITY, "spam": {"model": False}})
    assert m.by_spam >= evaluation.spam_metrics(rules).by_spam + 0.3


def test_ordinary_news_comments_are_not_spam() -> None:
    """The held-out toxicity set (1009 news comments, civil and abusive, kept out of the model's
    training): the spam check holds none of them."""
    rows = [r for r in evaluation.load() if r.text.strip()]
    spam = Spam(SpamConfig())
    held = []
    for r in rows:
        if spam(submission(r.text), ModerationRecord(facts={"links": 0})) is not None:
            held.append(r.text)
    assert len(rows) >= 1000
    assert held == []


@pytest.mark.parametrize(
    "body",
    [
        "",
        " ",
        "🎰🎰🎰💰💰",
        "\x00\xff\ufffd" * 50,
        "Привет hello مرحبا 你好 " * 40,
        "buy " * 50_000,
    ],
    ids=["empty", "blank", "emoji", "binary", "mixed", "huge"],
)
def test_odd_bodies_get_a_probability(body: str) -> None:
    p = load_spam_model().probability(body)
    assert 0.0 <= p <= 1.0
    record = ModerationRecord(facts={"links": 0})
    Spam(SpamConfig())(submission(body), record)
    assert 0.0 <= record.scores["spam"] <= 1.0


# Short civil remarks the model alone scores at or above its threshold: with no rule's sign of
# selling (a link, a contact, money, a trade's words, shouting) it only supports, and they publish.
SELLS_NOTHING = ["from a script"]


@pytest.mark.parametrize("text", SELLS_NOTHING)
def test_the_model_alone_holds_nothing_that_sells_nothing(text: str) -> None:
    phase = Spam(SpamConfig())
    assert phase.model is not None
    record = ModerationRecord()
    assert phase(submission(text), record) is None
    assert record.scores["spam_model"] >= phase.model.threshold  # the model alone would hold
    assert record.scores["spam"] == MODEL_SUPPORT
