"""Rate limits per reader, per hashed client address and per thread; addresses stay hashed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rostra.domain.errors import TooManyRequests
from rostra.domain.models import Author, Site, SiteSettings
from rostra.moderation.moderator import PipelineModerator
from rostra.moderation.phases.rate_limits import RateLimitConfig, RateLimits
from rostra.moderation.record import Action, ModerationRecord, PolicyError, Submission
from rostra.moderation.state import MemoryState
from rostra.services.moderation_port import Draft
from tests.moderation.helpers import NOW, submission


def run(phase: RateLimits, **kw: object) -> object:
    return phase(submission("A perfectly ordinary comment.", **kw), ModerationRecord())  # type: ignore[arg-type]


def test_reader_limit_per_minute_then_a_new_window() -> None:
    phase = RateLimits(RateLimitConfig(reader_per_minute=3, thread_per_minute=0), MemoryState())
    start = datetime(2026, 11, 26, 12, 0, 5, tzinfo=UTC)
    for _ in range(3):
        assert run(phase, author="r", now=start) is None
    verdict = run(phase, author="r", now=start + timedelta(seconds=10))
    assert verdict is not None
    assert verdict.action is Action.REJECT  # type: ignore[attr-defined]
    assert verdict.retry_after == 45  # type: ignore[attr-defined]
    assert verdict.message  # type: ignore[attr-defined]
    # Another reader is not affected; the next minute starts afresh.
    assert run(phase, author="other", now=start) is None
    assert run(phase, author="r", now=start + timedelta(minutes=1)) is None


def test_hourly_address_and_thread_limits() -> None:
    state = MemoryState()
    cfg = RateLimitConfig(
        reader_per_minute=0,
        reader_per_hour=0,
        address_per_minute=100,
        address_per_hour=4,
        thread_per_minute=0,
    )
    phase = RateLimits(cfg, state)
    for n in range(4):
        assert run(phase, author=f"r{n}", client="addr", now=NOW + timedelta(minutes=n)) is None
    assert run(phase, author="r9", client="addr", now=NOW + timedelta(minutes=9)) is not None
    # Without a known address (a guest behind an untrusted proxy) there is nothing to count.
    assert run(phase, author="r9", client=None, now=NOW + timedelta(minutes=9)) is None

    per_thread = RateLimits(RateLimitConfig(thread_per_minute=2), MemoryState())
    assert run(per_thread, author="a", thread="hot") is None
    assert run(per_thread, author="b", thread="hot") is None
    assert run(per_thread, author="c", thread="hot") is not None
    assert run(per_thread, author="c", thread="calm") is None


def test_edits_are_not_counted() -> None:
    phase = RateLimits(RateLimitConfig(reader_per_minute=1), MemoryState())
    assert run(phase, author="r") is None
    for _ in range(5):
        assert run(phase, author="r", is_edit=True) is None


def test_config_is_checked() -> None:
    with pytest.raises(PolicyError, match="reader_per_minute must be a whole number"):
        RateLimitConfig.from_mapping({"reader_per_minute": "ten"})
    with pytest.raises(PolicyError, match="unknown setting"):
        RateLimitConfig.from_mapping({"per_second": 1})
    assert RateLimitConfig.from_mapping({"thread_per_minute": 0}).thread_per_minute == 0


def test_moderator_answers_too_many_requests_and_hashes_addresses() -> None:
    site = Site(
        1, "news", "News", (), SiteSettings(moderation={"rate_limits": {"reader_per_minute": 1}})
    )
    state = MemoryState()
    moderator = PipelineModerator(state, address_key=b"k" * 32, clock=lambda: NOW)
    author = Author(reader_key="reader-key-1")

    def draft(ip: str | None) -> Draft:
        return Draft(
            site,
            "An ordinary remark about the weather.",
            "Ann",
            author,
            False,
            False,
            thread_external_id="t1",
            client_ip=ip,
        )

    first = moderator.decide(draft("203.0.113.9"))
    # Deciding only read the counters: the comment's transaction counts what the decision says.
    assert first.memory is not None
    counted = {(c.key.split(":")[0], c.window, c.limit) for c in first.memory.counts}
    assert ("r", 60, 1) in counted and ("a", 60, 20) in counted
    assert state.counts([(c.key, c.window) for c in first.memory.counts], NOW) == [0] * len(
        first.memory.counts
    )
    state.remember_moderation(first.memory, 1)
    with pytest.raises(TooManyRequests) as info:
        moderator.decide(draft("203.0.113.9"))
    assert info.value.retry_after == 30
    assert info.value.code == "rate-limited"
    # The refused attempt was counted at once (nothing else of it is stored).
    assert state.counts([(c.key, c.window) for c in first.memory.counts], NOW)[0] == 2

    key = moderator.client_key("203.0.113.9")
    assert key is not None and len(key) == 32 and "203" not in key
    assert moderator.client_key("203.0.113.9") == key
    assert moderator.client_key("2001:db8::1") not in (None, key)
    # A loopback peer is a local proxy speaking for everyone: not counted.
    assert moderator.client_key("127.0.0.1") is None
    assert moderator.client_key("::1") is None
    assert moderator.client_key("not an address") is None
    other = PipelineModerator(MemoryState(), address_key=b"z" * 32)
    assert other.client_key("203.0.113.9") != key


def anonymous(phase: RateLimits, n: int, client: str | None = None, **kw: object) -> object:
    """A write without a reader token: its reader key was minted for it, a new one each time."""
    sub = submission("A perfectly ordinary comment.", f"minted-{n}", client=client, **kw)  # type: ignore[arg-type]
    sub.anonymous = True
    return phase(sub, ModerationRecord())


def test_token_less_writes_share_a_tight_bucket_even_from_loopback() -> None:
    cfg = RateLimitConfig(anonymous_per_minute=3, anonymous_per_hour=5, thread_per_minute=0)
    phase = RateLimits(cfg, MemoryState())
    # No address key (loopback or unknown): every token-less writer shares the "local" bucket.
    assert [anonymous(phase, n) is None for n in range(4)] == [True, True, True, False]
    # Another address has its own bucket; readers with a token are not in either.
    assert anonymous(phase, 9, client="addr") is None
    assert run(phase, author="real-reader") is None
    later = NOW + timedelta(minutes=2)
    # The refused fourth write counted in its own hour too (it is that writer's own budget).
    assert anonymous(phase, 10, now=later) is None
    refused = anonymous(phase, 12, now=later)
    assert refused is not None and "without a token, per hour" in refused.reason  # type: ignore[attr-defined]


def test_one_token_less_client_cannot_use_up_a_thread() -> None:
    # Defaults for the source limits; a thread budget small enough to be used up by one client
    # if refusals counted against it.
    phase = RateLimits(RateLimitConfig(thread_per_minute=20), MemoryState())
    outcomes = [anonymous(phase, n, thread="hot") is None for n in range(40)]
    assert outcomes.count(True) == 2  # 10% of the thread's 20: its fair share
    # Everyone else still gets through: readers with a token, other addresses.
    for n in range(10):
        assert run(phase, author=f"reader-{n}", thread="hot") is None, n
    assert run(phase, author="another", client="addr-2", thread="hot") is None


def test_one_source_gets_a_fair_share_of_a_thread() -> None:
    cfg = RateLimitConfig(address_per_minute=1000, address_per_hour=1000, thread_per_minute=50)
    phase = RateLimits(cfg, MemoryState())
    # One address with many (cheaply minted) reader tokens: at most 10% of the thread's 50.
    allowed = [run(phase, author=f"r{n}", client="addr-1", thread="hot") is None for n in range(30)]
    assert allowed.count(True) == 5
    # The refusals used up none of the thread's budget: 45 others still fit in this minute.
    others = [run(phase, author=f"o{n}", client=f"addr-{n + 2}", thread="hot") for n in range(45)]
    assert others == [None] * 45
    assert run(phase, author="late", client="addr-99", thread="hot") is not None


def test_the_fair_share_is_a_percentage() -> None:
    with pytest.raises(PolicyError, match="thread_share_percent must be between 1 and 100"):
        RateLimitConfig.from_mapping({"thread_share_percent": 0})
    assert RateLimitConfig.from_mapping({"thread_share_percent": 100}).thread_share_percent == 100


def deferred(phase: RateLimits, author: str, thread: str = "hot") -> tuple[Submission, object]:
    """A submission as the moderator makes it behind the services: counted in its transaction."""
    sub = submission("A perfectly ordinary comment.", author, thread=thread)
    sub.deferred_counts = []
    return sub, phase(sub, ModerationRecord())


def keys(sub: Submission) -> list[tuple[str, int]]:
    assert sub.deferred_counts is not None
    return [(c.key, c.window) for c in sub.deferred_counts]


def test_behind_the_services_only_a_refusal_counts_at_once() -> None:
    state = MemoryState()
    cfg = RateLimitConfig(reader_per_minute=2, thread_per_minute=3, thread_share_percent=100)
    phase = RateLimits(cfg, state)
    sub, verdict = deferred(phase, "r")
    assert verdict is None
    # The reader's minute and hour and its share of the thread, then the thread's own budget.
    assert sub.deferred_counts is not None
    assert [(c.stage, c.window, c.limit) for c in sub.deferred_counts] == [
        (0, 60, 2),
        (0, 3600, 60),
        (0, 60, 3),
        (1, 60, 3),
    ]
    assert state.counts(keys(sub), NOW) == [0, 0, 0, 0]  # nothing counted yet
    for _ in range(2):  # two of the reader's comments were stored, each counted in its own
        state.hit(keys(sub), NOW)
    refused, verdict = deferred(phase, "r")
    assert verdict is not None and verdict.action is Action.REJECT  # type: ignore[attr-defined]
    assert refused.deferred_counts == []
    # Counted at once, as before this change: the reader's stage, not the thread's.
    assert state.counts(keys(sub), NOW) == [3, 3, 3, 2]

    # Over the thread's own budget: the stage the comment passed counts with it.
    passed, verdict = deferred(phase, "s")
    assert verdict is None
    state.hit(keys(passed), NOW)  # stored: the thread has had its three comments this minute
    late, verdict = deferred(phase, "u")
    assert verdict is not None and verdict.action is Action.REJECT  # type: ignore[attr-defined]
    assert "this thread, per minute" in verdict.reason  # type: ignore[attr-defined]
    assert late.deferred_counts == []
    assert state.counts([("r:1:u/60", 60), keys(sub)[3]], NOW) == [1, 4]
