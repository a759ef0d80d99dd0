"""The checks run in the order README.md and docs/moderation.md give, word lists among them.

README.md ("Moderation"): "**Checks, in order:** rate limits (...), language identification, the
author's recent history, per-site word lists (...), links, spam signals, exact and
near-duplicate re-posts (MinHash), an offline multilingual toxicity classifier (...), and
optionally your own HTTP classifier". docs/moderation.md ("The pipeline") lists the same checks,
by name, in a table "In order". Both texts are read here and compared with the pipeline a site
with every check switched on gets; then a word-list rejection shows the order at work: the
checks before the word lists have run (the language is known, the history looked up), those
after have not (no links counted, no classifier score), and a suspect word, which only holds,
lets the later checks run.
"""

from __future__ import annotations

import re

from rostra.moderation.pipeline import build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action
from rostra.moderation.state import MemoryState
from tests.moderation.helpers import CIVIL, REPO, submission

# Every check a site can switch on (the external classifier is never asked here: the comments
# below are rejected before it, or it is not reached).
EVERY_CHECK = {
    "word_lists": {"reject": ["moron"], "suspect": ["recycling"]},
    "external": {"url": "https://classifier.example/", "secret": "s" * 16},
}

# How README.md's sentence names each check.
README_WORDS = {
    "rate_limits": "rate limits",
    "language": "language identification",
    "history": "recent history",
    "word_lists": "word lists",
    "links": "links,",
    "spam": "spam signals",
    "duplicates": "near-duplicate re-posts",
    "toxicity": "toxicity classifier",
    "learning": "learning from",
    "external": "HTTP classifier",
}


def every_check_in_order() -> list[str]:
    return build_pipeline(Policy.from_settings(EVERY_CHECK), MemoryState()).names


def test_the_pipeline_runs_every_check_in_the_order_docs_moderation_gives() -> None:
    text = (REPO / "docs" / "moderation.md").read_text(encoding="utf-8")
    table = text.split("## The pipeline", 1)[1].split("\n#", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert documented == every_check_in_order()


def test_the_readme_names_the_checks_in_the_pipeline_order() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    sentence = text.split("**Checks, in order:**", 1)[1].split("Pre-moderation per site", 1)[0]
    order = every_check_in_order()
    assert set(README_WORDS) == set(order)
    positions = []
    for name in order:
        found = sentence.find(README_WORDS[name])
        assert found >= 0, f"the README's list of checks does not name {name}"
        positions.append(found)
    assert positions == sorted(positions), sorted(order, key=lambda n: positions[order.index(n)])


def test_a_rejected_word_stops_the_checks_after_the_word_lists() -> None:
    policy = Policy.from_settings({"word_lists": EVERY_CHECK["word_lists"]})
    pipeline = build_pipeline(policy, MemoryState())
    links = "https://a.example/1 https://b.example/2 https://c.example/3"
    body = f"What a moron. {CIVIL} See {links}"
    record = pipeline.run(submission(body, "reader-word-list"))
    assert record.verdict is Action.REJECT and record.phase == "word_lists"
    # Before the word lists: the language was identified and the author's history looked up.
    assert record.language == "en" and "language_confidence" in record.scores
    assert "first_time" in record.facts
    # After them: neither the links nor the classifier ran.
    assert "links" not in record.facts
    assert "toxicity" not in record.scores


def test_a_suspect_word_holds_and_the_later_checks_still_run() -> None:
    policy = Policy.from_settings({"word_lists": EVERY_CHECK["word_lists"]})
    pipeline = build_pipeline(policy, MemoryState())
    body = "About recycling, see https://a.example/1. " + CIVIL
    record = pipeline.run(submission(body, "reader-suspect"))
    assert record.facts.get("word_list") == "suspect"
    assert record.verdict is Action.HOLD
    assert record.facts.get("links") == 1
    assert "toxicity" in record.scores
