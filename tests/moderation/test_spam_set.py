"""The shipped spam set: the default policy stops its spam and lets its civil comments through.

``rostra/moderation/eval/spam.jsonl`` holds comment spam written for Rostra in six languages
(every trade the spam rules know) and civil news comments that look a little like it (links to
government PDFs, prices, helpline numbers, quoted adverts, Telegram named as news). Its split was
fixed before the rules were tuned on ``dev``; the figures here are on ``test``, through the same
content phases as ``rostra moderation eval``. Each floor sits just under what was measured
(docs/moderation.md, "Spam"): a rule that stopped firing, or one that began holding civil
comments, fails here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rostra.moderation import evaluation
from rostra.moderation.evaluation import SpamOutcome

LANGUAGES = ("ar", "de", "en", "es", "fr", "ru")
#: The kinds of the composed rows (every kind in each split); the unseen batch adds a few more.
KINDS = {
    "casino",
    "crypto",
    "dating",
    "escort",
    "followers",
    "giveaway",
    "healer",
    "insurance",
    "loan",
    "pharmacy",
    "shortener",
    "work_home",
}
UNSEEN_KINDS = {"counterfeit", "diplomas", "hacking", "seo"}
# Measured on the test split (composed rows, and a batch written after the rules were frozen and
# never tuned on), rules and the trained spam model together: stopped, all by the spam check
# itself, ar 17/17, de 18/18, en 20/21, es 16/17, fr 18/18, ru 17/17; 106 of 108 in all (98.1 %;
# rules alone 103, 95.4 %; 107 while the model could hold with no rule's sign of selling, which
# also held "from a script": tests/moderation/test_spam_model.py).
STOPPED_FLOOR = {"ar": 0.99, "de": 0.99, "en": 0.95, "es": 0.94, "fr": 0.99, "ru": 0.99}
# Per kind, by the spam check: 100 % but healer 9/10 (an Spanish evil-eye cleansing ad).
KIND_FLOOR = {**dict.fromkeys(KINDS, 0.99), "healer": 0.89}
# Civil comments of the set that the spam check holds today (the trained model's known misses).
KNOWN_FALSE_HOLDS = {
    "وصلت لوالدتي رسالة «لقد ربحت بطاقة هدايا بقيمة 1000 دولار» ولحسن الحظ لم تضغط على الرابط."
}


@pytest.fixture(scope="module")
def outcomes() -> list[SpamOutcome]:
    found, _ = evaluation.run_spam(evaluation.load_spam(split="test"))
    return found


def test_the_set_is_shipped_split_and_covers_every_kind() -> None:
    rows = evaluation.load_spam(split="all")
    by_lang = Counter((r.lang, r.spam) for r in rows)
    for lang in LANGUAGES:
        assert by_lang[(lang, True)] >= 40 and by_lang[(lang, False)] >= 25
    test = [r for r in rows if r.split == "test"]
    assert 0.25 <= len(test) / len(rows) <= 0.4
    assert {r.kind for r in test if r.spam} == KINDS | UNSEEN_KINDS
    assert {r.split for r in rows} == {"dev", "test"}
    # Dev and test share no text: the rules were tuned without seeing any test row.
    dev_texts = {r.text for r in rows if r.split == "dev"}
    assert not dev_texts & {r.text for r in test}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_spam_is_stopped_in_every_language(outcomes: list[SpamOutcome], lang: str) -> None:
    m = evaluation.spam_by_group(outcomes)[lang]
    assert m.spam >= 14
    assert m.recall >= STOPPED_FLOOR[lang]
    assert m.by_spam >= STOPPED_FLOOR[lang]


def test_every_kind_of_spam_is_stopped_by_the_spam_check(outcomes: list[SpamOutcome]) -> None:
    table = evaluation.spam_by_group([o for o in outcomes if o.row.spam], key="kind")
    assert set(table) - {"all"} == KINDS | UNSEEN_KINDS
    for kind in KINDS:
        assert table[kind].by_spam >= KIND_FLOOR[kind], kind


def test_civil_comments_are_not_taken_for_spam(outcomes: list[SpamOutcome]) -> None:
    civil = [o for o in outcomes if not o.row.spam]
    assert len(civil) >= 50
    # The spam check holds none of them but the one the trained model is known to get wrong
    # (the toxicity model may hold a harsh one: not spam). Rules alone held none; with the
    # model, one of 70: an Arabic comment quoting a scam text message («you have won a gift card
    # of 1000 dollars») to warn of it. Named, not counted: any other civil hold fails, and so
    # does this one's publication (then it leaves KNOWN_FALSE_HOLDS).
    assert {o.row.text for o in civil if o.by_spam} == KNOWN_FALSE_HOLDS
    m = evaluation.spam_metrics(outcomes)
    assert m.civil_links >= 15
    assert m.civil_links_held <= 0.02
    assert m.recall >= 0.98  # 98.1 % measured


def test_the_whole_set_with_dev_rows_too() -> None:
    found, _ = evaluation.run_spam(
        evaluation.load_spam(split="all"), {"toxicity": {"enabled": False}}
    )
    m = evaluation.spam_metrics(found)
    assert m.by_spam >= 0.99  # 343 of 344 (99.7 %; rules alone 337, 98.0 %)
    # The one civil comment held is the quoted scam text above.
    assert {o.row.text for o in found if o.by_spam and not o.row.spam} == KNOWN_FALSE_HOLDS


def test_a_bad_spam_set_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "spam.jsonl"
    path.write_text(json.dumps({"text": "hi", "spam": 0}) + '\n{"text": 1}\n', "utf-8")
    with pytest.raises(ValueError, match="line 2"):
        evaluation.load_spam(path)
    with pytest.raises(ValueError, match="split"):
        evaluation.load_spam(path, "train")


def test_eval_prints_the_spam_section_and_json(tmp_path: Path) -> None:
    from tests.moderation.test_cli import run, write_jsonl

    labelled = write_jsonl(
        tmp_path / "labelled.jsonl",
        [
            {"text": "Thank you for the clear report on the tram.", "toxic": 0, "lang": "en"},
            {"text": "Shut up, you pathetic idiot.", "toxic": 1, "lang": "en"},
        ],
    )
    spam = write_jsonl(
        tmp_path / "spam.jsonl",
        [
            {
                "text": "Cheap viagra without prescription, order at medsdirect dot shop",
                "spam": 1,
                "lang": "en",
                "kind": "pharmacy",
                "split": "test",
            },
            {
                "text": "The audit is at https://www.leeds.gov.uk/audit.pdf, page 14.",
                "spam": 0,
                "lang": "en",
                "kind": "civil_link",
                "split": "test",
            },
            {"text": "dev row", "spam": 0, "lang": "en", "kind": "civil", "split": "dev"},
        ],
    )
    done = run("moderation", "eval", "--data", str(labelled), "--spam-data", str(spam), "-q")
    assert done.returncode == 0, done.stderr
    assert "## Spam (test split of the spam set)" in done.stdout
    section = done.stdout.split("## Spam", 1)[1].splitlines()
    row = next(line for line in section if line.startswith("| en | 2 | 1 |"))
    assert "| 100.0 % | 100.0 % | 1.000 | 0.0 % | 1 | 0.0 % |" in row
    # Measuring one's own set alone leaves the shipped spam set out.
    alone = run("moderation", "eval", "--data", str(labelled), "-q")
    assert "## Spam" not in alone.stdout
    done = run(
        "moderation", "eval", "--data", str(labelled), "--spam-data", str(spam), "--json", "-q"
    )
    report = json.loads(done.stdout)
    assert report["spam_split"] == "test"
    assert report["spam"]["en"]["recall"] == 1.0 and report["spam"]["en"]["civil_links"] == 1
    assert report["toxicity"]["en"]["n"] == 2
    done = run("moderation", "eval", "--data", str(labelled), "--spam-data", str(spam),
               "--spam-split", "all", "--json", "-q")  # fmt: skip
    assert json.loads(done.stdout)["spam"]["en"]["n"] == 3
