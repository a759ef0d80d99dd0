"""Moderation's memory in storage (rostra.storage.moderation) and the 0002 migration, on SQLite and
PostgreSQL: counters, fingerprints written in a write transaction, history from the comments."""

from __future__ import annotations

from datetime import datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, or_, select

from rostra.domain.models import CommentStatus
from rostra.moderation.moderator import PipelineModerator
from rostra.moderation.phases.duplicates import fingerprint_of
from rostra.moderation.state import Fingerprint
from rostra.services.discussion import CommentRejected, Discussion, PostRequest
from rostra.services.moderation_port import ModerationMemory
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.migrate import current, downgrade, upgrade
from rostra.storage.moderation import SqlModerationState, decode_signature, encode_signature
from rostra.storage.repository import SqlStore
from rostra.storage.schema import SCHEMA_HEAD
from rostra.storage.tables import comments, metadata, moderation_bands, moderation_fingerprints
from tests.conftest import SECRET
from tests.moderation.helpers import NOW, submission

# The newest migration: moderation (0002) lies beneath it.
HEAD = SCHEMA_HEAD  # the newest migration

TEXT = "The ferry timetable change leaves island pupils without a way home after sports practice."


def remember(
    store: SqlStore, site_id: int, author: str | None, fp: Fingerprint, at: datetime
) -> None:
    """Keep a fingerprint as a comment's transaction does (here for no comment)."""
    memory = ModerationMemory(site_id, author, at, CommentStatus.PUBLISHED, fingerprint=fp)
    with store.write() as tx:
        tx.remember_moderation(memory, None)


def test_counters_count_per_key_and_window(store: SqlStore) -> None:
    state = SqlModerationState(store.engines)
    assert state.counts([("a/60", 60), ("b/60", 60)], NOW) == [0, 0]
    assert state.hit([("a/60", 60), ("b/60", 60)], NOW) == [1, 1]
    assert state.hit([("a/60", 60), ("a/3600", 3600)], NOW) == [2, 1]
    assert state.hit([("a/60", 60)], NOW + timedelta(seconds=5)) == [3]
    assert state.hit([("a/60", 60)], NOW + timedelta(minutes=1)) == [1]
    # Reading counts nothing; a transaction counts in the same windows.
    assert state.counts([("a/60", 60), ("a/3600", 3600), ("c/60", 60)], NOW) == [3, 1, 0]
    with store.write() as tx:
        assert tx.count_hits([("a/3600", 3600), ("c/60", 60)], NOW) == [2, 1]
    assert state.counts([("a/3600", 3600), ("c/60", 60)], NOW + timedelta(minutes=1)) == [2, 0]
    assert state.counts([], NOW) == []


def test_fingerprints_round_trip(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    state = SqlModerationState(store.engines)
    fp = fingerprint_of(submission(TEXT))
    assert fp is not None
    assert decode_signature(encode_signature(fp.signature)) == fp.signature
    remember(store, site.id, "reader-a", fp, NOW)

    since = NOW - timedelta(hours=1)
    found = state.similar(site.id, fp, since)
    assert len(found) == 1
    assert found[0].fingerprint.exact == fp.exact
    assert found[0].fingerprint.signature == fp.signature
    assert found[0].fingerprint.size == fp.size
    assert found[0].reader_key == "reader-a" and found[0].created_at == NOW

    near = fingerprint_of(submission(TEXT.replace("sports", "football")))
    assert near is not None and near.exact != fp.exact
    assert len(state.similar(site.id, near, since)) == 1  # found through a shared band
    assert state.similar(site.id, fp, NOW + timedelta(minutes=1)) == []
    assert state.similar(site.id + 1, fp, since) == []
    assert [s.reader_key for s in state.recent_by_author(site.id, "reader-a", since)] == [
        "reader-a"
    ]
    assert state.recent_by_author(site.id, "reader-b", since) == []
    with store.engines.read.connect() as conn:
        bands = conn.execute(select(func.count()).select_from(moderation_bands)).scalar()
    assert bands == len(set(fp.bands))


def test_history_comes_from_the_comments(store: SqlStore) -> None:
    site = store.create_site(
        "news", "News", [], {"moderation": {"word_lists": {"reject": ["marmalade"]}}}
    )
    tokens = ReaderTokens(Signer(SECRET))
    state = SqlModerationState(store.engines)
    discussion = Discussion(
        store,
        tokens,
        moderator=PipelineModerator(state, address_key=b"k" * 32),
    )
    author = discussion.author(site, tokens.issue(site.id))
    assert author.reader_key is not None
    key = author.reader_key
    since = NOW - timedelta(days=400)
    assert state.history(site.id, key, since).published == 0

    posted = discussion.post(site, PostRequest("t1", TEXT), author)
    assert posted.status is CommentStatus.PUBLISHED
    for n in range(2):
        try:
            discussion.post(site, PostRequest("t1", f"Marmalade number {n} for everyone"), author)
        except CommentRejected:
            pass
        else:  # pragma: no cover - the reject list must reject
            raise AssertionError("not rejected")
    history = state.history(site.id, key, since)
    assert (history.published, history.held, history.rejected) == (1, 0, 2)
    # Two recent rejections: the next comment waits for a moderator.
    held = discussion.post(site, PostRequest("t1", "A perfectly polite remark on ferries."), author)
    assert held.status is CommentStatus.PENDING
    assert state.history(site.id, key, since).held == 1
    # Accounts are looked up by their id.
    assert state.history(site.id, "a:99", since).published == 0
    # The fingerprints of all four comments were remembered, linked to them.
    with store.engines.read.connect() as conn:
        linked = conn.execute(
            select(func.count()).where(moderation_fingerprints.c.comment_id.is_not(None))
        ).scalar()
    assert linked == 4


def test_migration_matches_the_tables_and_goes_down_and_up(store: SqlStore) -> None:
    engine = store.engines.write
    assert current(engine) == HEAD
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []

    downgrade(engine, "0001")
    assert current(engine) == "0001"
    names = inspect(engine).get_table_names()
    assert "moderation_fingerprints" not in names and "moderation_counters" not in names
    assert "moderation" not in {c["name"] for c in inspect(engine).get_columns("comments")}
    upgrade(engine)
    assert current(engine) == HEAD
    assert "moderation" in {c["name"] for c in inspect(engine).get_columns("comments")}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(comments)).scalar() == 0


def test_old_fingerprints_are_pruned_with_their_bands(store: SqlStore) -> None:
    site = store.create_site("news", "News", [], {})
    state = SqlModerationState(store.engines)
    old = fingerprint_of(submission(TEXT))
    new = fingerprint_of(submission("A different comment about the library opening hours."))
    assert old is not None and new is not None
    remember(store, site.id, "a", old, NOW - timedelta(days=20))
    remember(store, site.id, "a", new, NOW)
    state.prune(NOW - timedelta(days=14))
    with store.engines.read.connect() as conn:
        prints = conn.execute(select(moderation_fingerprints.c.exact)).scalars().all()
        bands = conn.execute(select(func.count()).select_from(moderation_bands)).scalar()
    assert prints == [new.exact]
    assert bands == len(set(new.bands))


def _similar_as_before(
    store: SqlStore, site_id: int, fp: Fingerprint, since: datetime, exclude: int | None, limit: int
) -> list[int]:
    """The look-up as one WHERE with "exact = ? OR id IN (bands)" (its form before the union)."""
    f, b = moderation_fingerprints.c, moderation_bands.c
    query = (
        select(f.id)
        .where(
            f.site_id == site_id,
            f.created_at >= since,
            or_(
                f.exact == fp.exact,
                f.id.in_(
                    select(b.fingerprint_id).where(
                        b.site_id == site_id, b.band.in_(list(fp.bands)), b.created_at >= since
                    )
                ),
            ),
        )
        .order_by(f.id.desc())
        .limit(limit)
    )
    if exclude is not None:
        query = query.where(or_(f.comment_id.is_(None), f.comment_id != exclude))
    with store.engines.read.connect() as conn:
        return [int(i) for i in conn.execute(query).scalars()]


def test_similar_finds_what_the_single_where_found(store: SqlStore) -> None:
    """The union of the exact and band look-ups returns the same rows in the same order, with
    other sites', older, excluded and unrelated fingerprints around them, and under a limit."""
    sites = [store.create_site(f"s{i}", "S", [], {}).id for i in range(2)]
    state = SqlModerationState(store.engines)
    words = TEXT.split()
    texts = [TEXT, TEXT.replace("sports", "football"), "An unrelated note about parking fees."]
    texts += [" ".join(words[i:] + words[:i]) for i in range(1, 6)]
    probes = []
    for n, text in enumerate(texts * 3):
        fp = fingerprint_of(submission(text))
        assert fp is not None
        probes.append(fp)
        at = NOW - timedelta(hours=n % 5)
        memory = ModerationMemory(sites[n % 2], f"r{n % 3}", at, CommentStatus.PUBLISHED, fp)
        with store.write() as tx:
            tx.remember_moderation(memory, None)
    with store.engines.read.connect() as conn:
        ids = [int(i) for i in conn.execute(select(moderation_fingerprints.c.id)).scalars()]
    for fp in probes[: len(texts)]:
        for site_id in sites:
            for since in (NOW - timedelta(hours=10), NOW - timedelta(hours=2)):
                for exclude in (None, ids[0]):
                    for limit in (50, 2):
                        got = state.similar(site_id, fp, since, exclude, limit)
                        want = _similar_as_before(store, site_id, fp, since, exclude, limit)
                        assert [s.fingerprint.exact for s in got] == [
                            _exact_of(store, i) for i in want
                        ]
                        assert len(got) == len(want)
    assert state.similar(sites[0], probes[0], NOW - timedelta(hours=10))  # something was found


def _exact_of(store: SqlStore, fingerprint_id: int) -> str:
    with store.engines.read.connect() as conn:
        query = select(moderation_fingerprints.c.exact).where(
            moderation_fingerprints.c.id == fingerprint_id
        )
        return str(conn.execute(query).scalar_one())
