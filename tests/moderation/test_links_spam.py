"""Link rules and spam signals."""

from __future__ import annotations

from pathlib import Path

import pytest

from rostra.moderation.phases.links import LinkConfig, Links, domain_of, find_links
from rostra.moderation.phases.spam import Spam, SpamConfig, combine, signals
from rostra.moderation.record import Action, ModerationRecord, PolicyError
from tests.moderation.helpers import submission


def test_finding_links() -> None:
    text = (
        "See https://example.org/report?page=2, www.city.gov/plan and "
        "[the data](http://data.example.net). Also cheap-watches.shop! "
        "Write to me@mail.example.com. Node.js and e.g. are not links."
    )
    links = find_links(text)
    assert [domain_of(link) for link in links] == [
        "example.org",
        "city.gov",
        "data.example.net",
        "cheap-watches.shop",
    ]
    assert domain_of("https://WWW.Example.ORG:8443/x") == "example.org"
    assert find_links("no links here, just 3.5 percent growth") == []


def verdict(config: LinkConfig, text: str) -> tuple[object, ModerationRecord]:
    record = ModerationRecord()
    return Links(config)(submission(text), record), record


def test_blocked_allowed_and_too_many() -> None:
    blocked = LinkConfig.from_mapping({"blocked_domains": ["spam.example", "www.bad.example"]})
    v, record = verdict(blocked, "great deals at https://shop.spam.example/buy")
    assert v is not None and v.action is Action.REJECT and v.message  # type: ignore[attr-defined]
    assert "spam.example" in v.reason  # type: ignore[attr-defined]
    assert record.facts["links"] == 1
    v, _ = verdict(blocked, "see www.bad.example/page")
    assert v is not None and v.action is Action.REJECT  # type: ignore[attr-defined]
    v, _ = verdict(blocked, "see notspam.example for details")
    assert v is None

    allowed = LinkConfig.from_mapping({"allowed_domains": ["ourpaper.example"]})
    assert verdict(allowed, "as we wrote: https://ourpaper.example/a")[0] is None
    v, _ = verdict(allowed, "as they wrote: https://elsewhere.example/a")
    assert v is not None and v.action is Action.HOLD  # type: ignore[attr-defined]

    few = LinkConfig(max_links=2)
    assert verdict(few, "a.example.com and b.example.com")[0] is None
    v, _ = verdict(few, "a.example.com b.example.com c.example.com")
    assert v is not None and v.action is Action.HOLD  # type: ignore[attr-defined]


def test_link_config_is_checked() -> None:
    with pytest.raises(PolicyError, match="not a domain name"):
        LinkConfig.from_mapping({"blocked_domains": ["http://x.example/"]})
    with pytest.raises(PolicyError, match="max_links"):
        LinkConfig.from_mapping({"max_links": -1})


@pytest.mark.parametrize(
    "text",
    [
        "x" * 500,
        "Best prices on garden furniture this week only! " * 60,
        "asdf jkl; " * 300,
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        "BUY NOW cheap viagra https://pills.example and https://more.example call +44 20 7946 0958",
        "Earn $500 a day working from home, click here: https://jobs.example, "
        "whatsapp me +1 555 0100 222",
    ],
)
def test_spam_is_held(text: str) -> None:
    record = ModerationRecord(facts={"links": len(find_links(text))})
    v = Spam(SpamConfig())(submission(text), record)
    assert v is not None and v.action is Action.HOLD
    assert record.scores["spam"] >= 0.8


@pytest.mark.parametrize(
    "text",
    [
        "I READ THE WHOLE REPORT AND I STILL DO NOT UNDERSTAND THE BUDGET",
        "Noooooooooo, not the library again!",
        "Sources: https://stats.example/a and https://stats.example/b, both from the ministry.",
        "Call the council on +44 20 7946 0958 if your bin was missed.",
        "The minutes are at https://council.example/minutes if anyone wants to check the vote.",
    ],
)
def test_one_weak_signal_does_not_hold(text: str) -> None:
    record = ModerationRecord(facts={"links": len(find_links(text))})
    assert Spam(SpamConfig())(submission(text), record) is None
    assert record.scores["spam"] < 0.8


def test_civil_text_has_no_signals() -> None:
    text = "Thank you for the careful reporting on the school budget."
    assert signals(text, text.lower(), 0) == {}
    assert combine({}) == 0.0
    assert combine({"a": 0.5, "b": 0.5}) == pytest.approx(0.75)


LONG_CIVIL = (Path(__file__).parent / "data" / "long_civil_comment.txt").read_text("utf-8")


@pytest.mark.parametrize("length", [500, 1_500, 2_500, len(LONG_CIVIL)])
def test_a_long_civil_comment_is_not_a_wall_of_repeats(length: int) -> None:
    """A reader's long, careful comment uses some 40 distinct characters however long it is; it
    must not read as a wall of repeats (it did beyond about 2,000 characters)."""
    text = LONG_CIVIL[:length]
    assert len(LONG_CIVIL) > 2_500
    assert signals(text, text.lower(), 0) == {}
    record = ModerationRecord(facts={"links": 0})
    assert Spam(SpamConfig())(submission(text), record) is None
