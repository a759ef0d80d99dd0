"""The discussion service over real storage (SQLite and PostgreSQL): pages, cursors, votes,
edits and counters, with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rostra.domain.errors import Conflict, Forbidden, InvalidInput
from rostra.domain.models import Author, Site, SortOrder
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.migrate import MIGRATIONS, current, downgrade, upgrade
from rostra.storage.repository import SqlStore
from rostra.storage.tables import comments, revisions

# The newest migration: the highest-numbered file in versions/ (they are numbered in order).
HEAD = sorted(p.name.split("_")[0] for p in (MIGRATIONS / "versions").glob("[0-9]*.py"))[-1]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def discussion(store: SqlStore, clock: Clock) -> Discussion:
    return Discussion(store, ReaderTokens(Signer("s" * 40)), clock=clock)


@pytest.fixture
def site(store: SqlStore) -> Site:
    return store.create_site("news", "News", ["https://news.example"], {"page_size": 3})


def reader(discussion: Discussion, site: Site) -> Author:
    return discussion.author(site, discussion.tokens.issue(site.id))


def test_cursor_pages_cover_every_root_once_in_each_order(
    discussion: Discussion, site: Site, clock: Clock
) -> None:
    ids = []
    for i in range(8):
        clock.advance(minutes=1)
        ids.append(
            discussion.post(site, PostRequest("t", f"root {i}"), reader(discussion, site)).public_id
        )
    voter = reader(discussion, site)
    discussion.vote(site, ids[2], 1, voter)
    discussion.vote(site, ids[5], -1, voter)
    expected = {
        SortOrder.NEWEST: ids[::-1],
        SortOrder.OLDEST: ids,
    }
    for sort in SortOrder:
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            page = discussion.page(site, "t", sort, cursor, 3)
            seen += [n.comment.public_id for n in page.roots]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(ids), sort
        if sort in expected:
            assert seen == expected[sort]
        else:
            assert seen[0] == ids[2] and seen[-1] == ids[5]


def test_all_returns_whole_thread_with_replies(discussion: Discussion, site: Site) -> None:
    author = reader(discussion, site)
    root = discussion.post(site, PostRequest("t", "root"), author)
    parent = root
    for i in range(6):
        parent = discussion.post(
            site,
            PostRequest("t", f"r{i}", parent_public_id=parent.public_id),
            reader(discussion, site),
        )
    page = discussion.page(site, "t", SortOrder.OLDEST, None, None)
    assert page.total_comments == 7
    node = page.roots[0]
    depth = 0
    while node.replies:
        node = node.replies[0]
        depth += 1
    assert depth == site.settings.display_depth  # deeper replies render flat
    assert parent.depth == 6  # but the real parent and depth are stored


def test_edit_keeps_every_revision(
    discussion: Discussion, site: Site, store: SqlStore, clock: Clock
) -> None:
    author = reader(discussion, site)
    c = discussion.post(site, PostRequest("t", "one"), author)
    clock.advance(minutes=1)
    discussion.edit(site, c.public_id, "two", author)
    clock.advance(minutes=1)
    edited = discussion.edit(site, c.public_id, "three", author)
    assert edited.edited_at == clock.now
    _, revs = discussion.revisions(site, c.public_id)
    assert [r.body for r in revs] == ["one", "two", "three"]
    clock.advance(minutes=20)
    with pytest.raises(Forbidden):
        discussion.edit(site, c.public_id, "four", author)
    with store.engines.read.connect() as conn:
        assert conn.execute(select(func.count()).select_from(revisions)).scalar() == 3


def test_votes_switch_and_cancel(discussion: Discussion, site: Site) -> None:
    c = discussion.post(site, PostRequest("t", "vote me"), reader(discussion, site))
    voter = reader(discussion, site)
    assert discussion.vote(site, c.public_id, 1, voter).score == 1
    assert discussion.vote(site, c.public_id, 1, voter).score == 1  # idempotent
    switched = discussion.vote(site, c.public_id, -1, voter)
    assert (switched.upvotes, switched.downvotes) == (0, 1)
    assert discussion.vote(site, c.public_id, 0, voter).score == 0
    assert discussion.comment(site, c.public_id).score == 0


def test_failed_reply_writes_nothing(discussion: Discussion, site: Site, store: SqlStore) -> None:
    author = reader(discussion, site)
    c = discussion.post(site, PostRequest("t", "parent"), author)
    discussion.delete(site, c.public_id, author)
    with pytest.raises(Conflict):
        discussion.post(site, PostRequest("t", "late", parent_public_id=c.public_id), author)
    with store.engines.read.connect() as conn:
        assert conn.execute(select(func.count()).select_from(comments)).scalar() == 1
    thread = store.get_thread(site.id, "t")
    assert thread is not None and thread.comment_count == 0


def test_like_wildcards_are_literal(discussion: Discussion, site: Site) -> None:
    discussion.post(site, PostRequest("a_b%", "x"), reader(discussion, site))
    assert discussion.counts(site, ["a_b%", "a%", "a_b_"]) == {"a_b%": 1, "a%": 0, "a_b_": 0}


def test_migrations_go_down_and_up_again(store: SqlStore) -> None:
    assert current(store.engines.write) == HEAD
    downgrade(store.engines.write, "base")
    assert current(store.engines.write) is None
    upgrade(store.engines.write)
    assert current(store.engines.write) == HEAD


def test_over_long_title_is_a_clear_error_and_writes_nothing(
    discussion: Discussion, site: Site, store: SqlStore
) -> None:
    with pytest.raises(InvalidInput) as exc:
        discussion.post(site, PostRequest("t", "body", title="x" * 501), reader(discussion, site))
    assert exc.value.code == "too-long" and exc.value.field == "title"
    assert exc.value.message == "The title is too long."
    assert store.get_thread(site.id, "t") is None
