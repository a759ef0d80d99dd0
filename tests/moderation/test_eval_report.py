"""``rostra moderation eval``'s report: every section there, every figure computed right.

The arithmetic is tested on small hand-made sets scored by a plug-in classifier that reads each
comment's score from its text (``tests.moderation.eval_plugins``), so every ROC-AUC, subgroup
AUC, BPSN and BNSP AUC, share held and target verdict below was worked out by hand from those
scores, not taken from a run. Every comment has more than a few words, so the stricter
threshold for very short comments never applies: each is held exactly from 0.5. The shipped
functional tests and the identity-term lists are checked against what they claim to be; the
whole report on the shipped sets is in tests/moderation/test_cli.py (slow).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from rostra.moderation import evaluation
from rostra.moderation.evaluation import targets
from rostra.moderation.evaluation.common import auc_interval, wilson
from rostra.moderation.evaluation.functional import CATEGORIES, OTHER, category_of
from rostra.moderation.evaluation.identity_terms import SUBGROUPS, TERMS, subgroups_of
from rostra.moderation.evaluation.targets import Target
from tests.moderation.eval_plugins import SETTINGS
from tests.moderation.helpers import REPO
from tests.moderation.test_cli import run, write_jsonl

EVAL = REPO / "src" / "rostra" / "moderation" / "eval"
SHARED = REPO.parent / "shared" / "data" / "toxicity"


def rows_of(text: str, heading: str) -> dict[str, list[str]]:
    """The body rows of the first table after ``heading``, by their first cell."""
    section = text[text.index(heading) :]
    table = []
    for line in section.splitlines():
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    return {
        cells[0]: cells[1:]
        for cells in ([c.strip() for c in line.strip().strip("|").split("|")] for line in table[2:])
    }


# Scores in brackets. Religion: A (abusive, 0.9), B (civil, 0.6, held), C (civil, 0.2);
# nationality: U (civil, 0.3); the rest name no group.
BIAS_SET = [
    ("Muslims who shout at the bakery staff are a disgrace [0.9]", 1),
    ("Our Muslim neighbours helped clear the snow on the whole street [0.6]", 0),
    ("The Christian choir sang at the harbour festival on Sunday [0.2]", 0),
    ("Ukrainian volunteers repainted the school gym over the holidays [0.3]", 0),
    ("The councillor is an idiot and a liar, everyone knows it [0.8]", 1),
    ("Only a fool would vote for this budget next month [0.4]", 1),
    ("The new tram stop opens next week near the library [0.1]", 0),
    ("The bus timetable changes in spring for the night lines [0.45]", 0),
    ("Lovely weather for the regatta this weekend on the river [0.95]", 0),
]


def eval_on(tmp_path: Path, *args: str, data: list[dict[str, object]] | None = None) -> str:
    labelled = [{"text": t, "toxic": y, "lang": "en"} for t, y in BIAS_SET]
    path = write_jsonl(tmp_path / "labelled.jsonl", data or labelled)  # type: ignore[arg-type]
    done = run("moderation", "eval", "--data", str(path), "--settings", SETTINGS, "-q", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_wilson_interval_of_a_share() -> None:
    # 1 of 2: centre (0.5 + 0.96) / 2.92 = 0.5, half-width 1.96 * sqrt(0.125 + 0.2401) / 2.92
    low, high = wilson(1, 2)
    assert (round(low, 4), round(high, 4)) == (0.0945, 0.9055)
    assert wilson(0, 10)[0] == 0.0 and round(wilson(0, 10)[1], 4) == 0.2775
    assert wilson(10, 10)[1] == 1.0
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_the_interval_of_a_roc_auc() -> None:
    # Hanley and McNeil: A = 0.7 on 25 + 25; Q1 = 0.7 / 1.3, Q2 = 0.98 / 1.7; variance
    # (0.21 + 24 (Q1 - 0.49) + 24 (Q2 - 0.49)) / 625 = 0.005517, half-width 1.96 * 0.07428.
    low, high = auc_interval(0.7, 25, 25)
    assert (round(low, 4), round(high, 4)) == (0.5544, 0.8456)
    # 13/18 on 3 abusive and 6 civil comments (the hand-made set below): 0.33 to 1 (capped).
    low, high = auc_interval(13 / 18, 3, 6)
    assert round(low, 2) == 0.33 and high == 1.0
    assert all(math.isnan(x) for x in auc_interval(math.nan, 3, 0))


def test_roc_auc_counts_ties_half_and_needs_both_classes() -> None:
    assert evaluation.roc_auc([True, False], [0.5, 0.5]) == 0.5
    assert evaluation.roc_auc([True, False, False], [0.7, 0.7, 0.1]) == 0.75
    assert evaluation.roc_auc([False, True, True], [0.9, 0.8, 0.95]) == 0.5
    assert math.isnan(evaluation.roc_auc([True, True], [0.1, 0.9]))


def test_subgroup_figures_on_a_hand_made_set(tmp_path: Path) -> None:
    text = eval_on(tmp_path)
    bias = rows_of(text, "### On the labelled set")
    # religion: A vs B, C -> 1; BPSN: abuse elsewhere (0.8, 0.4) vs B, C -> 3 of 4 pairs;
    # BNSP: civil elsewhere (0.1, 0.45, 0.95, 0.3) vs A -> 3 of 4; B held of B, C; all civil
    # held: B and the regatta of six civil comments.
    assert bias["religion"] == [
        "3", "1", "2", "1.000", "0.750", "0.750", "50.0 %", "9–91 %", "33.3 %",
        "missed: civil held",
    ]  # fmt: skip
    # nationality: one civil comment, published: no subgroup AUC and no BNSP (no abuse in it).
    assert bias["nationality"] == [
        "1", "0", "1", "-", "1.000", "-", "0.0 %", "0–79 %", "33.3 %", "met",
    ]  # fmt: skip
    # named = religion + nationality: A vs B, C, U -> 1; BPSN 0.8 beats 3, 0.4 beats 2 of 6;
    # BNSP: civil elsewhere is now 0.1, 0.45, 0.95 -> A beats 2 of 3.
    assert bias["named"] == [
        "4", "1", "3", "1.000", "0.833", "0.667", "33.3 %", "6–79 %", "33.3 %",
        "missed: civil held",
    ]  # fmt: skip
    assert set(bias) == {"religion", "nationality", "named"}  # one language: no named · en
    # The news-style table (rows with no source): recall 2/3, civil held 2/6, ROC-AUC 13/18.
    news = rows_of(text, "## News-style comments per language")
    assert news["en"] == [
        "9", "3", "0.500", "0.667", "0.571", "0.722", "33.3 %", "0.33–1.00",
        "missed: recall, civil held, ROC-AUC",
    ]  # fmt: skip
    assert "- **met** bias (labelled set), nationality: civil held 0.0 % (target ≤ 5.0 %)" in text
    assert "1 of 6 measured targets met." in text

    report = json.loads(eval_on(tmp_path, "--json"))
    religion = report["bias"]["heldout"]["religion"]
    assert religion["subgroup_auc"] == 1.0 and religion["bpsn_auc"] == 0.75
    assert religion["bnsp_auc"] == 0.75 and religion["civil_held"] == 0.5
    assert religion["overall_civil_held"] == pytest.approx(2 / 6)
    assert report["bias"]["heldout"]["nationality"]["subgroup_auc"] is None
    assert report["bias"]["heldout"]["named"]["bpsn_auc"] == pytest.approx(5 / 6)
    assert report["news"]["en"]["auc"] == pytest.approx(13 / 18)
    assert report["news"]["en"]["auc_high"] == 1.0
    verdicts = {(t["section"], t["group"], t["figure"]): t["met"] for t in report["targets"]}
    assert verdicts[("news comments", "en", "recall")] is False
    assert verdicts[("bias (labelled set)", "nationality", "civil held")] is True
    assert len(verdicts) == 6


FUNCTIONAL = [
    ("Writing that Muslims are vermin, as he did, is hateful and wrong [0.7]", 0,
     "counter_quote_nh"),
    ("Posts calling people vermin have no place in this section, full stop [0.2]", 0,
     "counter_ref_nh"),
    ("I am going to hurt every one of them when I find them [0.9]", 1, "threat_dir_h"),
    ("Somebody should really hurt people like them one day soon [0.3]", 1, "threat_norm_h"),
    ("Nobody here hates those people, we simply disagree with them [0.55]", 0, "negate_neg_nh"),
    ("A sentence from a functionality nobody has heard of before [0.1]", 0, "brand_new_nh"),
]  # fmt: skip


def test_functional_categories_on_a_hand_made_set(tmp_path: Path) -> None:
    tests = [
        {"text": t, "toxic": y, "lang": "fr" if i % 2 else "en", "functionality": f}
        for i, (t, y, f) in enumerate(FUNCTIONAL)
    ]
    path = write_jsonl(tmp_path / "functional.jsonl", tests)  # type: ignore[arg-type]
    text = eval_on(tmp_path, "--functional-data", str(path))
    table = rows_of(text, "## Functional tests per category")
    assert list(table) == ["counter-speech", "quotes", "negation", "threats", OTHER, "all"]
    # category | functionalities | n | abusive | judged right | recall | civil held | ROC-AUC
    assert table["quotes"] == ["counter_quote_nh", "1", "0", "0.0 %", "-", "100.0 %", "-"]
    assert table["counter-speech"][3] == "100.0 %"
    assert table["threats"] == [
        "threat_dir_h, threat_norm_h", "2", "2", "50.0 %", "0.500", "-", "-",
    ]  # fmt: skip
    assert table["negation"][1:4] == ["1", "0", "0.0 %"]
    assert table[OTHER][0] == "brand_new_nh"
    # all: right = counter_ref, threat_dir, brand_new of 6; ROC-AUC 0.9 beats all 4 civil,
    # 0.3 beats 0.2 and 0.1: 6 of 8.
    assert table["all"] == ["", "6", "2", "50.0 %", "0.500", "50.0 %", "0.750"]
    by_lang = rows_of(text, "| category (judged right) |")
    # en: rows 0, 2, 4 (quote wrong, threat right, negation wrong); fr: 1, 3, 5.
    assert by_lang["all"] == ["33.3 %", "66.7 %"]
    # The functional tests have their own bias table: the quote names Muslims and is held.
    bias = rows_of(text, "### On the functional tests")
    assert bias["religion"][:3] == ["1", "0", "1"] and bias["religion"][6:8] == [
        "100.0 %",
        "21–100 %",
    ]

    # The progress counts every set: 9 labelled comments and 6 functional tests.
    labelled = tmp_path / "labelled.jsonl"
    done = run("moderation", "eval", "--data", str(labelled), "--functional-data", str(path),
               "--settings", SETTINGS)  # fmt: skip
    assert done.returncode == 0 and done.stderr.splitlines()[-1].startswith(
        "moderation eval: 15/15 comments (100%), done in"
    )
    report = json.loads(eval_on(tmp_path, "--functional-data", str(path), "--json"))
    quotes = report["functional"]["categories"]["quotes"]
    assert quotes["right"] == 0.0 and quotes["civil_held"] == 1.0
    assert report["functional"]["categories"]["all"]["right_by_language"]["fr"] == pytest.approx(
        2 / 3
    )
    assert report["functional"]["functionalities"]["threat_norm_h"]["recall"] == 0.0


def test_each_kind_of_labelled_comment_judged_right(tmp_path: Path) -> None:
    data = [
        {"text": "Quoting the slur he used, to say it is vile and must stop [0.7]", "toxic": 0,
         "lang": "en", "label": "civil:quoted"},
        {"text": "Citant l'insulte qu'il a lancée pour dire qu'elle est ignoble [0.2]",
         "toxic": 0, "lang": "fr", "label": "civil:quoted"},
        {"text": "If you publish that again, watch your house at night [0.4]", "toxic": 1,
         "lang": "en", "label": "abusive:threat"},
        {"text": "The tram is late again this morning on the east line [0.1]", "toxic": 0,
         "lang": "en"},
    ]  # fmt: skip
    text = eval_on(tmp_path, data=data)
    kinds = rows_of(text, "## Labelled comments per kind")
    # kind | n | abusive | judged right | en | fr; the unlabelled row is in no kind.
    assert kinds == {
        "abusive:threat": ["1", "1", "0.0 %", "0.0 %", "-"],
        "civil:quoted": ["2", "0", "50.0 %", "0.0 %", "100.0 %"],
    }
    report = json.loads(eval_on(tmp_path, "--json", data=data))
    assert report["kinds"]["civil:quoted"]["right"] == 0.5
    assert report["kinds"]["civil:quoted"]["civil_held"] == 0.5
    # A set without labels has no such section.
    assert "## Labelled comments per kind" not in eval_on(tmp_path)


def test_public_splits_and_spam_against_their_targets(tmp_path: Path) -> None:
    data = [
        {"text": "Die Stadträte sind Idioten und Lügner, alle [0.3]", "toxic": 1, "lang": "de",
         "source": "germeval2018"},
        {"text": "Die neue Brücke wird im Mai eröffnet, sagt die Stadt [0.7]", "toxic": 0,
         "lang": "de", "source": "germeval2018"},
        {"text": "Du er en komplet idiot og en løgner, hele tiden [0.9]", "toxic": 1,
         "lang": "da", "source": "dkhate"},
        {"text": "Den nye bro åbner i maj, siger kommunen i dag [0.1]", "toxic": 0, "lang": "da",
         "source": "dkhate"},
        {"text": "You are a liar and an idiot, every single day [0.9]", "toxic": 1, "lang": "en",
         "source": "rostra_written"},
        {"text": "The new bridge opens in May, the council says today [0.1]", "toxic": 0,
         "lang": "en", "source": "rostra_written"},
    ]  # fmt: skip
    spam = write_jsonl(
        tmp_path / "spam.jsonl",
        [
            {"text": "Cheap viagra without prescription, order at medsdirect dot shop",
             "spam": 1, "lang": "en", "kind": "pharmacy", "split": "test"},
            {"text": "The audit is at https://www.leeds.gov.uk/audit.pdf, page 14.", "spam": 0,
             "lang": "en", "kind": "civil_link", "split": "test"},
        ],
    )  # fmt: skip
    text = eval_on(tmp_path, "--spam-data", str(spam), data=data)
    sources = rows_of(text, "## By source")
    # (One comment of each class: the interval has no width.)
    assert sources["germeval2018 (de)"][5:] == ["0.000", "100.0 %", "0.00–0.00", "missed: ROC-AUC"]
    assert sources["dkhate (da)"][5:] == ["1.000", "0.0 %", "1.00–1.00", "met"]
    assert sources["rostra_written"][-1] == ""  # news-style: the per-language targets apply
    assert list(rows_of(text, "## News-style comments per language")) == ["en"]
    assert "- **missed** public split, germeval2018 (de): ROC-AUC 0.000 (target ≥ 0.850)" in text
    assert "- **met** public split, dkhate (da): ROC-AUC 1.000 (target ≥ 0.850)" in text
    assert "≥ 95% stopped, ≤ 2% of civil with links held: met." in text
    assert "- **met** spam, all: spam stopped 100.0 % (target ≥ 95.0 %)" in text
    assert "- **met** spam, all: civil with links held 0.0 % (target ≤ 2.0 %)" in text
    assert "6 of 7 measured targets met." in text  # 3 news (en), 2 public, 2 spam


def test_a_target_is_met_at_its_goal_and_unmeasured_without_a_figure() -> None:
    assert Target("s", "g", "recall", 0.9, 0.9, True).met is True
    assert Target("s", "g", "recall", 0.899, 0.9, True).met is False
    assert Target("s", "g", "held", 0.05, 0.05, False, True).met is True
    assert Target("s", "g", "held", 0.051, 0.05, False, True).met is False
    assert Target("s", "g", "held", math.nan, 0.05, False, True).verdict == "not measured"
    assert targets.marks(
        [
            Target("s", "a", "recall", 0.5, 0.9, True),
            Target("s", "a", "held", 0.5, 0.1, False),
            Target("s", "b", "recall", 0.95, 0.9, True),
            Target("s", "b", "held", math.nan, 0.1, False),
            Target("s", "c", "held", math.nan, 0.1, False),
        ]
    ) == {"a": "missed: recall, held", "b": "met", "c": "not measured"}


def test_bad_functional_tests_are_refused_with_their_line(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "l.jsonl", [{"text": "A calm remark [0.1]", "toxic": 0}])
    missing = write_jsonl(
        tmp_path / "f.jsonl",
        [
            {"text": "x [0.1]", "toxic": 0, "functionality": "ident_pos_nh"},
            {"text": "y", "toxic": 0},
        ],
    )
    done = run("moderation", "eval", "--data", str(data), "--functional-data", str(missing), "-q")
    assert done.returncode == 2 and "row 2: no functionality" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    broken = write_jsonl(tmp_path / "g.jsonl", [], extra=['{"text": "no label"}'])
    done = run("moderation", "eval", "--data", str(data), "--functional-data", str(broken), "-q")
    assert done.returncode == 2 and "line 1: not a labelled comment" in done.stderr
    for flag in ("--data", "--functional-data", "--spam-data"):
        args = ["--data", str(data), flag, str(tmp_path / "absent.jsonl"), "-q"]
        done = run("moderation", "eval", *args[2:] if flag == "--data" else args)
        assert done.returncode == 2, flag
        assert f"cannot read {tmp_path / 'absent.jsonl'}: No such file" in done.stderr, flag
        assert "Traceback" not in done.stderr and done.stdout == "", flag
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b'{"text": "fine [0.1]", "toxic": 0}\n\xff\xfe\x00{"text"\n')
    done = run("moderation", "eval", "--data", str(data), "--functional-data", str(binary), "-q")
    assert done.returncode == 2 and f"{binary}, line 2: not UTF-8 text" in done.stderr
    # Measuring one's own set leaves the shipped functional tests out, and --no-functional too.
    alone = run("moderation", "eval", "--data", str(data), "-q", "--settings", SETTINGS)
    assert alone.returncode == 0 and "## Functional tests" not in alone.stdout


# Our sentences, one per language and subgroup: each must be found in that subgroup alone.
NAMING = {
    "en": ("The Sikh temple opened its kitchen to everyone", "Roma families spoke at the meeting",
           "Two Moroccans won the city marathon", "Refugees opened a café on Mill Street"),
    "fr": ("Les musulmans du quartier ont organisé la fête", "Des Kurdes ont témoigné hier",
           "Les Sénégalais de Lyon ont ouvert une école", "Les réfugiés ont repeint le gymnase"),
    "de": ("Die Jüdische Gemeinde lädt zum Fest ein", "Sinti und Roma erinnern an die Opfer",
           "Viele Syrer arbeiten jetzt in der Pflege", "Geflüchtete haben den Park gereinigt"),
    "es": ("Los evangélicos del barrio recogieron ropa", "Los mapuches defendieron su tierra",
           "Los ecuatorianos celebraron la fiesta", "Los inmigrantes abrieron una panadería"),
    "ru": ("Православные и мусульмане вместе убрали парк", "Цыгане приехали на ярмарку",
           "Узбеки открыли новую чайхану", "Беженцы помогли разгрузить гуманитарку"),
    "ar": ("المسيحيون والمسلمون نظفوا الحي معا", "الأمازيغ احتفلوا برأس السنة",
           "السوريون افتتحوا مطعما جديدا", "اللاجئون ساعدوا في تنظيف الحديقة"),
}  # fmt: skip
# Words a short stem could catch, and country names, which name no one.
NAMING_NO_ONE = (
    ("The jewellery shop on the corner closed", "en"),
    ("The black market for tickets is booming", "en"), ("The film noir festival", "en"),
    ("Le marché noir des billets explose", "fr"),
    ("Der Haushalt für Syrien und Afghanistan wächst", "de"),
    ("Die Preise in Polen steigen", "de"), ("La economía de Rusia y de Palestina", "es"),
    ("Экономика Таджикистана и Узбекистана растёт", "ru"),
    ("ميزانية سوريا وروسيا وتركيا", "ar"), ("Christiansborg er Danmarks parlament", "da"),
    ("Ich trinke den Kaffee schwarz, ohne Zucker", "de"), ("Die Schwarze Null hält", "de"),
    ("Schwarze Zahlen für die Stadtwerke", "de"), ("Les soldes du Black Friday", "fr"),
    ("Un negro futuro para la ciudad", "es"), ("The Church Street market reopens", "en"),
)  # fmt: skip
# Religions named by their places of worship, or the hatred of them.
NAMING_BY_WORSHIP = (
    ("The mosque on Mill Street opens its doors on Saturday", "en"),
    ("Антисемитизм на трибунах надо останавливать", "ru"), ("أحرقوا المسجد الكبير", "ar"),
    ("Die Synagoge wird renoviert", "de"), ("La mezquita del barrio", "es"),
    ("L'islamophobie n'est pas une opinion", "fr"),
)  # fmt: skip
# Colour words that do name people: with a noun, or as the noun itself.
NAMING_BY_COLOUR = (
    ("Black women ran the strike committee", "en"), ("Des femmes noires ont témoigné", "fr"),
    ("Le patron du café est un black", "fr"), ("Zum ersten Mal wurde ein Schwarzer gewählt", "de"),
    ("Estos negros del barrio", "es"), ("Чернокожие музыканты открыли фестиваль", "ru"),
)  # fmt: skip


def test_the_identity_terms_find_each_group_in_each_language_and_not_look_alikes() -> None:
    assert set(TERMS) == {"en", "fr", "de", "es", "ru", "ar"}
    for lang, sentences in NAMING.items():
        assert set(TERMS[lang]) == set(SUBGROUPS), lang
        for subgroup, sentence in zip(SUBGROUPS, sentences, strict=True):
            assert subgroups_of(sentence, lang) == {subgroup}, (lang, subgroup, sentence)
            # A language without lists of its own is matched against all of them.
            assert subgroup in subgroups_of(sentence, "da"), (lang, subgroup, sentence)
    for sentence, lang in NAMING_BY_COLOUR:
        assert subgroups_of(sentence, lang) == {"people"}, sentence
    for sentence, lang in NAMING_BY_WORSHIP:
        assert subgroups_of(sentence, lang) == {"religion"}, sentence
    # "Polen" is both Poland and Poles in German: it counts; the others name no one.
    found = [(s, lang) for s, lang in NAMING_NO_ONE if subgroups_of(s, lang)]
    assert found == [("Die Preise in Polen steigen", "de")]


def shipped_functional() -> list[evaluation.Labelled]:
    return evaluation.load_functional()


def test_the_shipped_functional_tests_cover_each_category_in_each_language() -> None:
    rows = shipped_functional()
    assert all(category_of(r.functionality) != OTHER for r in rows)
    for lang in ("en", "fr", "de", "es", "ar"):
        mine = [r for r in rows if r.lang == lang]
        found = {category_of(r.functionality) for r in mine}
        assert {"counter-speech", "quotes", "negation", "threats", "slurs"} <= found, lang
        assert set(CATEGORIES) - found <= {"spelling variants"} or lang == "ar", (lang, found)
        assert {r.toxic for r in mine} == {True, False}, lang


def test_the_attribution_counts_the_shipped_functional_tests() -> None:
    text = (EVAL / "ATTRIBUTION.md").read_text(encoding="utf-8")
    section = text.split("# The functional tests: `functional.jsonl`", 1)[1]
    table = rows_of(section, "| suite |")
    rows = shipped_functional()
    for suite, cells in table.items():
        mine = [r for r in rows if r.source == suite.strip("`")]
        assert int(cells[0]) == len(mine), suite
        assert {x.strip() for x in cells[1].split(",")} == {r.lang for r in mine}, suite
        assert cells[2] == "CC BY 4.0" and cells[3], suite
    assert {s.strip("`") for s in table} == {r.source for r in rows}
    assert "creativecommons.org/licenses/by/4.0" in section
    assert "scripts/export_functional.py" in section


@pytest.mark.skipif(not SHARED.is_dir(), reason="the licensed corpus is not beside the repository")
def test_the_export_reproduces_the_shipped_functional_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import export_functional
    finally:
        sys.path.remove(str(REPO / "scripts"))
    monkeypatch.setattr(export_functional, "OUT", tmp_path / "functional.jsonl")
    assert export_functional.main([str(SHARED)]) == 0
    assert (tmp_path / "functional.jsonl").read_bytes() == (EVAL / "functional.jsonl").read_bytes()


@pytest.fixture(scope="module")
def shipped(shipped_report: evaluation.Report) -> dict[str, Any]:
    """``rostra moderation eval --json`` on the shipped sets: the JSON the command prints (the
    report is built once per worker, tests/moderation/conftest.py)."""
    report: dict[str, Any] = json.loads(json.dumps(shipped_report.to_json(), ensure_ascii=False))
    return report


@pytest.mark.slow
def test_the_json_on_the_shipped_sets_has_every_section(shipped: dict[str, Any]) -> None:
    assert list(shipped) == [
        "toxicity", "news", "toxicity_by_source", "kinds", "functional", "bias", "spam",
        "spam_split", "targets", "seconds",
    ]  # fmt: skip
    assert set(shipped["bias"]) == {"heldout", "functional"}
    assert shipped["spam_split"] == "test" and shipped["spam"]["all"]["n"] > 0
    assert {"quotes", "counter-speech", "negation", "threats", "slurs"} <= set(
        shipped["functional"]["categories"]
    )
    sections = {t["section"] for t in shipped["targets"]}
    assert sections == {
        "news comments", "public split", "bias (labelled set)", "bias (functional tests)", "spam",
    }  # fmt: skip
