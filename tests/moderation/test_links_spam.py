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


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("order at quickprofit dot shop", "disguised_link"),
        ("visit q u i c k p . s h o p today", "disguised_link"),
        ("see cashno . r u", "disguised_link"),
        ("see example[.]shop", "disguised_link"),
        ("see example (.) shop", "disguised_link"),
        ("see example [dot] top", "disguised_link"),
        ("commandez sur pilules point online", "disguised_link"),
        ("the truth is at bit.ly/ab12X", "shortener"),
        ("deals at lucky.icu", "odd_domain"),
        ("write me on Telegram @rich_fast_99", "contact"),
        ("Télégram : @riche_vite", "contact"),
        ("تواصل واتساب ٠٥٥١٢٣٤٥٦٧", "contact"),
        ("wa.me/447700900123", "contact"),
        ("пиши в личку", "contact"),
        ("I make $450 a day from my phone", "earnings"),
        ("je gagne 300 € par jour", "earnings"),
        ("из 20 000 рублей сделал 600 000", "earnings"),
        ("🎰🎰🎰🎰 bonus", "emoji"),
        ("fotos reales, llama al 655 44 33 22", "contact"),
        ("للتواصل 0551122334 واتساب", "contact"),
        ("earning 6000 dollars monthly from her laptop", "earnings"),
        ("хочешь зарабатывать 3000 в день?", "earnings"),
        ("My aunt earns $9k a month online", "earnings"),
        ("регистрация на za40-znakomstva точка нет", "disguised_link"),
        ("التسجيل على taaruf40 نقطة نت", "disguised_link"),
        ("love spell that brings him back, write to healer.baba@mail.com", "offer"),
    ],
)
def test_commercial_signals(text: str, signal: str) -> None:
    links = find_links(text)
    found = signals(text, submission(text).normalized, len(links))
    assert signal in found


@pytest.mark.parametrize(
    "text",
    [
        "The ministry now posts its updates on Telegram before its own website.",
        "My rent is $1,850 a month for a one-bedroom, up from $1,400 two years ago.",
        "The helpline for flood victims is +44 345 988 1188, open 24 hours.",
        "Full audit: https://www.leeds.gov.uk/budget/2025-audit.pdf, page 14.",
        'The advert said "earn $500 a day from home, no experience", the scam this piece warns of.',
        "La pharmacie en ligne vend des injections minceur à 199 € par mois.",
        "@maria you are right, the report . net result was a loss.",
        "👏👏👏👏👏",
    ],
)
def test_civil_look_alikes_are_not_held(text: str) -> None:
    record = ModerationRecord(facts={"links": len(find_links(text))})
    assert Spam(SpamConfig())(submission(text), record) is None


def test_a_held_pitch_says_what_it_sells() -> None:
    text = "Cheap viagra without prescription, order at medsdirect dot shop"
    record = ModerationRecord(facts={"links": 0})
    v = Spam(SpamConfig())(submission(text), record)
    assert v is not None and v.action is Action.HOLD
    assert "sells: pharmacy" in v.reason and "disguised_link" in v.reason


N = 100_000


@pytest.mark.parametrize(
    "body",
    [
        "." * N,
        " " * N,
        "1" * N,
        "a." * (N // 2),
        "a . " * (N // 4),
        "1 " * (N // 2),
        "+1 " * (N // 3),
        "0." * (N // 2),
        "@a" * (N // 2),
        "x dot " * (N // 6),
        "a[.]" * (N // 4),
        "$1 " * (N // 3),
        "earn 1 " * (N // 7),
        "telegram " * (N // 9),
        "bit.ly/" * (N // 7),
        "a-" * (N // 2),
        "🎰" * N,
        "aа1٠ " * (N // 5),
        "".join(chr(i % 0x3000) for i in range(N)),
        "",
        "\x00\x01\x02\ufffd" * 1000,
    ],
    ids=lambda b: f"{len(b)}:{b[:6]!r}",
)
def test_adversarial_and_bad_bodies_finish(body: str) -> None:
    """Long runs of dots, spaces and digits cost one pass (no catastrophic backtracking), and odd
    bodies (empty, binary-ish, mixed-script, emoji-only) give a score, never an error."""
    found = signals(body, submission(body[:20_000]).normalized, len(find_links(body[:20_000])))
    assert all(0.0 <= s <= 1.0 for s in found.values())
    record = ModerationRecord(facts={"links": 0})
    Spam(SpamConfig())(submission(body), record)
    assert 0.0 <= record.scores["spam"] <= 1.0
