"""One comment, one write transaction, on SQLite and PostgreSQL: the comment, its moderation
record, its fingerprint and its rate-limit counters commit together, or none of them does.

Commits are counted on the real write engine (SQLAlchemy's ``commit`` event), so every write
counts, the store's and moderation's alike. An attempt that is not stored (a replay, a closed
thread, a reply to nothing, one refused in its transaction because another writer took the last
place first) leaves no comment and no fingerprint, and still counts against the rate limits, as one
refused for them always did.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from rostra.domain.errors import Conflict, Forbidden, NotFound, TooManyRequests
from rostra.domain.models import Author, CommentStatus, Site
from rostra.moderation.moderator import PipelineModerator
from rostra.services.discussion import CommentRejected, Discussion, PostRequest
from rostra.services.moderation_port import Decision, Draft, Moderator
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.moderation import SqlModerationState
from rostra.storage.repository import SqlStore
from rostra.storage.tables import comments, moderation_counters, moderation_fingerprints, threads
from tests.conftest import SECRET

NOW = datetime(2026, 11, 26, 12, 0, 30, tzinfo=UTC)
TEXT = "The ferry timetable change leaves island pupils without a way home after sports practice."
# The pipeline without the classifier (not needed here, and slow to load): rate limits, language,
# history, links, spam and duplicates.
POLICY: dict[str, Any] = {
    "toxicity": {"enabled": False},
    "word_lists": {"reject": ["marmalade"]},
    "rate_limits": {"reader_per_minute": 5},
}


class Commits:
    """How many transactions committed on the write engine."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _conn: Any) -> None:
        self.count += 1


@pytest.fixture
def commits(store: SqlStore) -> Iterator[Commits]:
    counter = Commits()
    event.listen(store.engines.write, "commit", counter)
    yield counter
    event.remove(store.engines.write, "commit", counter)


@pytest.fixture
def state(store: SqlStore) -> SqlModerationState:
    return SqlModerationState(store.engines)


@pytest.fixture
def tokens() -> ReaderTokens:
    return ReaderTokens(Signer(SECRET))


@pytest.fixture
def site(store: SqlStore) -> Site:
    return store.create_site("news", "News", [], {"moderation": POLICY})


def moderated(
    store: SqlStore,
    tokens: ReaderTokens,
    state: SqlModerationState,
    moderator: Moderator | None = None,
) -> Discussion:
    pipeline = PipelineModerator(state, address_key=b"k" * 32, clock=lambda: NOW)
    return Discussion(store, tokens, moderator=moderator or pipeline, clock=lambda: NOW)


def reader(tokens: ReaderTokens, site: Site) -> Author:
    return Author(reader_key=tokens.verify(tokens.issue(site.id), site.id).reader_key)


def table_rows(store: SqlStore) -> dict[str, int]:
    with store.engines.read.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (threads, comments, moderation_fingerprints)
        }


def reader_count(state: SqlModerationState, site: Site, author: Author) -> int:
    """The author's comments this minute, as the rate limits count them."""
    return state.counts([(f"r:{site.id}:{author.key}/60", 60)], NOW)[0]


def test_a_posted_comment_is_one_write_transaction(
    store: SqlStore,
    tokens: ReaderTokens,
    state: SqlModerationState,
    site: Site,
    commits: Commits,
) -> None:
    discussion = moderated(store, tokens, state)
    author = reader(tokens, site)
    before = commits.count
    posted = discussion.post(site, PostRequest("t1", TEXT), author)
    assert commits.count - before == 1
    assert posted.status is CommentStatus.PUBLISHED
    # All of it was written by that one transaction: the comment with its record, the
    # fingerprint linked to it, and its rate-limit counters.
    with store.engines.read.connect() as conn:
        record = conn.execute(select(comments.c.moderation)).scalar_one()
        linked = conn.execute(select(moderation_fingerprints.c.comment_id)).scalars().all()
        keys = conn.execute(select(moderation_counters.c.key)).scalars().all()
    assert record is not None and '"verdict": "publish"' in record
    assert linked == [posted.id]
    assert f"r:{site.id}:{author.key}/60" in keys and f"r:{site.id}:{author.key}/3600" in keys
    assert reader_count(state, site, author) == 1

    # A rejected comment is kept for the moderators: one transaction too, audit entry included.
    before = commits.count
    with pytest.raises(CommentRejected):
        discussion.post(site, PostRequest("t1", "Marmalade for everyone on the ferry."), author)
    assert commits.count - before == 1
    assert table_rows(store)["moderation_fingerprints"] == 2
    assert reader_count(state, site, author) == 2

    # A repeat is caught from the fingerprint the first transaction committed.
    with pytest.raises(CommentRejected):
        discussion.post(site, PostRequest("t1", TEXT), author)


def test_an_edit_is_one_write_transaction(
    store: SqlStore,
    tokens: ReaderTokens,
    state: SqlModerationState,
    site: Site,
    commits: Commits,
) -> None:
    discussion = moderated(store, tokens, state)
    author = reader(tokens, site)
    posted = discussion.post(site, PostRequest("t1", TEXT), author)
    before = commits.count
    edited = discussion.edit(site, posted.public_id, TEXT + " And on Saturdays.", author)
    assert commits.count - before == 1
    assert edited.status is CommentStatus.PUBLISHED
    with store.engines.read.connect() as conn:
        linked = conn.execute(select(moderation_fingerprints.c.comment_id)).scalars().all()
    assert linked == [posted.id, posted.id]  # the new text's fingerprint, in the same commit
    assert reader_count(state, site, author) == 1  # edits are not rate-limited


def test_a_comment_not_stored_leaves_no_fingerprint_but_counts(
    store: SqlStore,
    tokens: ReaderTokens,
    state: SqlModerationState,
    site: Site,
    commits: Commits,
) -> None:
    discussion = moderated(store, tokens, state)
    author = reader(tokens, site)
    discussion.post(site, PostRequest("t1", TEXT, client_nonce="n-1"), author)
    stored = table_rows(store)
    assert stored == {"threads": 1, "comments": 1, "moderation_fingerprints": 1}

    # Replayed: refused in the comment's transaction, which rolls back.
    other = "A different remark on the ferry timetable, sent twice by a flaky connection."
    with pytest.raises(Conflict):
        discussion.post(site, PostRequest("t1", other, client_nonce="n-1"), author)
    # A reply to nothing: nor is that stored.
    with pytest.raises(NotFound):
        discussion.post(site, PostRequest("t1", other, parent_public_id="nothing"), author)
    assert table_rows(store) == stored
    # Each attempt counted against the author's rate limits all the same, as before.
    assert reader_count(state, site, author) == 3

    # A closed thread: nothing stored, counted.
    with store.engines.write.begin() as conn:
        conn.execute(update(threads).values(closed=True))
    with pytest.raises(Forbidden):
        discussion.post(site, PostRequest("t1", other), author)
    assert table_rows(store) == stored and reader_count(state, site, author) == 4
    # The fifth this minute is stored; the sixth is over the limit, refused before writing.
    discussion.post(site, PostRequest("t2", "The fifth comment, in another thread."), author)
    stored = table_rows(store)
    before = commits.count
    with pytest.raises(TooManyRequests):
        discussion.post(site, PostRequest("t3", other), author)
    assert commits.count - before == 1  # the refusal is counted, nothing else is written
    assert table_rows(store) == stored and reader_count(state, site, author) == 6
    # The text that was never stored is no repeat: another reader may post it.
    posted = discussion.post(site, PostRequest("t2", other), reader(tokens, site))
    assert posted.status is CommentStatus.PUBLISHED
    # Whereas a stored one is: the next copy waits for a moderator.
    copied = discussion.post(site, PostRequest("t2", other), reader(tokens, site))
    assert copied.status is CommentStatus.PENDING


class RacedBy:
    """The real moderator; between its decision and the comment's transaction, ``then`` runs
    (another writer, as a concurrent request would be)."""

    def __init__(self, moderator: Moderator, then: list[Any]) -> None:
        self.moderator = moderator
        self.then = then

    def decide(self, draft: Draft) -> Decision:
        decision = self.moderator.decide(draft)
        while self.then:
            self.then.pop()()
        return decision


def test_a_writer_who_took_the_last_place_first_wins(
    store: SqlStore, tokens: ReaderTokens, state: SqlModerationState, site: Site
) -> None:
    discussion = moderated(store, tokens, state)
    author = reader(tokens, site)
    for n in range(4):
        discussion.post(site, PostRequest("t1", f"Comment number {n} about the ferry."), author)
    # Both see four of the author's five comments this minute; the other one commits first.
    first = PostRequest("t1", "The fifth comment about the ferry, the one that got in.")
    then = [lambda: discussion.post(site, first, author)]
    racing = moderated(store, tokens, state, moderator=RacedBy(discussion.moderator, then))
    late = PostRequest("t1", "The other fifth comment, refused although it was allowed.")
    with pytest.raises(TooManyRequests) as refused:
        racing.post(site, late, author)
    assert refused.value.code == "rate-limited" and refused.value.retry_after == 30
    with store.engines.read.connect() as conn:
        bodies = conn.execute(select(comments.c.body).order_by(comments.c.id)).scalars().all()
    assert bodies[-1] == first.body and late.body not in bodies
    assert table_rows(store)["moderation_fingerprints"] == 5
    # The refused attempt counts, as a refusal by the rate limits does.
    assert reader_count(state, site, author) == 6
