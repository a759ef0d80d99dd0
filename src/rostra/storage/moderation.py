"""Moderation's memory in the database (SQLite or PostgreSQL), shared by every worker process.

:class:`SqlModerationState` is the read side, the port ``rostra.moderation.state.ModerationState``
that the phases ask: rate-limit counters, fingerprints of recent texts (an exact hash, a MinHash
signature and its band keys) and each author's history, which is read from the comments
themselves, so a moderator's later decision counts at once. :class:`ModerationWrites` is mixed into
the write transaction (``rostra.storage.repository``): a comment's counters and fingerprint are
written in the comment's own transaction. Only an attempt refused for its rate limits, of which
nothing else is stored, is counted on its own (``SqlModerationState.hit``); reports count the
same way. Rows older than the longest window are pruned now and then by the writers themselves.

Statements are built once and only their parameters change per call: building SQLAlchemy
expressions per comment cost more than running them on SQLite.
"""

from __future__ import annotations

import base64
import struct
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Row, bindparam, case, delete, func, or_, select, union
from sqlalchemy.dialects import postgresql, sqlite

from rostra.domain.models import CommentStatus
from rostra.moderation.state import AuthorHistory, Fingerprint, StoredFingerprint
from rostra.services.moderation_port import ModerationMemory
from rostra.storage.database import Engines
from rostra.storage.learning import LearntReads
from rostra.storage.rows import utc
from rostra.storage.tables import (
    comments,
    moderation_bands,
    moderation_counters,
    moderation_fingerprints,
    threads,
)

#: Keep fingerprints this long: the longest duplicate window a site may set.
RETENTION = timedelta(days=14)
#: Prune once every this many writes (per process): cheap, and bounded growth.
PRUNE_EVERY = 500


def encode_signature(signature: tuple[int, ...]) -> str:
    return base64.b64encode(struct.pack(f"<{len(signature)}I", *signature)).decode("ascii")


def decode_signature(text: str) -> tuple[int, ...]:
    raw = base64.b64decode(text)
    return struct.unpack(f"<{len(raw) // 4}I", raw)


def _upsert(dialect_insert: Any) -> Any:
    t = moderation_counters
    return (
        dialect_insert(t)
        .values(key=bindparam("b_key"), window_start=bindparam("b_start"), count=1)
        .on_conflict_do_update(
            index_elements=[t.c.key, t.c.window_start], set_={"count": t.c.count + 1}
        )
        .returning(t.c.count)
    )


_C = moderation_counters
_F = moderation_fingerprints
_B = moderation_bands
_UPSERT = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}
_COUNTS = select(_C.c.key, _C.c.window_start, _C.c.count).where(
    _C.c.key.in_(bindparam("b_keys", expanding=True)),
    _C.c.window_start.in_(bindparam("b_starts", expanding=True)),
)
_PRUNE_COUNTERS = delete(_C).where(_C.c.window_start < bindparam("b_before"))
_PRUNE_FINGERPRINTS = delete(_F).where(_F.c.created_at < bindparam("b_before"))
_NOT_THIS_COMMENT = or_(_F.c.comment_id.is_(None), _F.c.comment_id != bindparam("b_exclude"))
# The fingerprints sharing the probe's exact hash or one of its band keys, each found through
# its own index and then joined by primary key. Written as one WHERE with "exact = ? OR id IN
# (bands)", SQLite walked every fingerprint the site kept (14 days of them) testing both, so a
# post's look-up grew with the site's traffic (823 stored: 0.2-1.2 ms, this form 0.1-0.3 ms).
_MATCHES = union(
    select(_F.c.id.label("id")).where(
        _F.c.site_id == bindparam("b_site"),
        _F.c.exact == bindparam("b_exact"),
        _F.c.created_at >= bindparam("b_since"),
    ),
    select(_B.c.fingerprint_id.label("id")).where(
        _B.c.site_id == bindparam("b_site"),
        _B.c.band.in_(bindparam("b_bands", expanding=True)),
        _B.c.created_at >= bindparam("b_since"),
    ),
).subquery("matches")
_SIMILAR = (
    select(_F)
    .join(_MATCHES, _F.c.id == _MATCHES.c.id)
    .where(
        _F.c.site_id == bindparam("b_site"),
        _F.c.created_at >= bindparam("b_since"),
    )
    .order_by(_F.c.id.desc())
    .limit(bindparam("b_limit"))
)
_SIMILAR_EXCLUDING = _SIMILAR.where(_NOT_THIS_COMMENT)
_BY_AUTHOR = (
    select(_F)
    .where(
        _F.c.site_id == bindparam("b_site"),
        _F.c.reader_key == bindparam("b_reader"),
        _F.c.created_at >= bindparam("b_since"),
    )
    .order_by(_F.c.id.desc())
    .limit(bindparam("b_limit"))
)
_BY_AUTHOR_EXCLUDING = _BY_AUTHOR.where(_NOT_THIS_COMMENT)
_INSERT_FINGERPRINT = _F.insert()
_INSERT_BAND = _B.insert()


def _history(who: Any) -> Any:
    c = comments.c
    recent = c.created_at >= bindparam("b_since")
    held = recent & (c.status == CommentStatus.PENDING.value)
    rejected = recent & c.status.in_([CommentStatus.REJECTED.value, CommentStatus.SPAM.value])
    published = c.status == CommentStatus.PUBLISHED.value
    return (
        select(
            func.coalesce(func.sum(case((published, 1), else_=0)), 0),
            func.coalesce(func.sum(case((held, 1), else_=0)), 0),
            func.coalesce(func.sum(case((rejected, 1), else_=0)), 0),
        )
        .select_from(comments.join(threads, threads.c.id == c.thread_id))
        .where(threads.c.site_id == bindparam("b_site"), who)
    )


_HISTORY_READER = _history(comments.c.reader_key == bindparam("b_who"))
_HISTORY_ACCOUNT = _history(comments.c.account_id == bindparam("b_who"))


def _stored(row: Row[Any]) -> StoredFingerprint:
    return StoredFingerprint(
        fingerprint=Fingerprint(
            exact=row.exact,
            signature=decode_signature(row.signature),
            bands=(),
            size=row.size,
        ),
        reader_key=row.reader_key,
        comment_id=row.comment_id,
        created_at=utc(row.created_at) or row.created_at,
    )


class _Pruning:
    """Counts this process's moderation writes: every ``PRUNE_EVERY``-th one also prunes."""

    def __init__(self) -> None:
        self._writes = 0
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            self._writes += 1
            return self._writes % PRUNE_EVERY == 0


_PRUNING = _Pruning()


def _hit(conn: Connection, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]:
    stamp = int(now.timestamp())
    upsert = _UPSERT[conn.dialect.name]
    out: list[int] = []
    for key, window in keys:
        params = {"b_key": key, "b_start": stamp - stamp % window}
        out.append(int(conn.execute(upsert, params).scalar_one()))
    if _PRUNING.due():
        # Counters are only ever read in their own window; a day is plenty.
        conn.execute(_PRUNE_COUNTERS, {"b_before": stamp - 86_400})
    return out


def _prune_fingerprints(conn: Connection, before: datetime) -> None:
    # Their band rows go with them (ON DELETE CASCADE, indexed by the band table's key).
    conn.execute(_PRUNE_FINGERPRINTS, {"b_before": before})


class ModerationWrites:
    """What moderation remembers about a comment, in the comment's transaction (a mixin of
    ``SqlWriteTransaction``; see ``rostra.services.ports.WriteTransaction``)."""

    conn: Connection

    def count_hits(self, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]:
        return _hit(self.conn, keys, now)

    def remember_moderation(self, memory: ModerationMemory, comment_id: int | None) -> None:
        # The outcome needs no row: an author's history is read from the comments themselves.
        fingerprint = memory.fingerprint
        if fingerprint is None:
            return
        result = self.conn.execute(
            _INSERT_FINGERPRINT,
            {
                "site_id": memory.site_id,
                "comment_id": comment_id,
                "reader_key": memory.author_key,
                "exact": fingerprint.exact,
                "signature": encode_signature(fingerprint.signature),
                "size": fingerprint.size,
                "created_at": memory.at,
            },
        )
        fid = int(result.inserted_primary_key[0])  # type: ignore[index]
        self.conn.execute(
            _INSERT_BAND,
            [
                {
                    "fingerprint_id": fid,
                    "band": band,
                    "site_id": memory.site_id,
                    "created_at": memory.at,
                }
                for band in dict.fromkeys(fingerprint.bands)
            ],
        )
        if _PRUNING.due():
            _prune_fingerprints(self.conn, memory.at - RETENTION)


class SqlModerationState(LearntReads):
    """:class:`rostra.moderation.state.ModerationState` over the Rostra database, and the
    learnt examples the learning phase reads (:class:`rostra.storage.learning.LearntReads`)."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    # -- rate limits ------------------------------------------------------------------------
    def counts(self, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]:
        if not keys:
            return []
        stamp = int(now.timestamp())
        slots = [(key, stamp - stamp % window) for key, window in keys]
        params = {"b_keys": [k for k, _ in slots], "b_starts": sorted({s for _, s in slots})}
        with self.engines.read.connect() as conn:
            found = {(key, start): int(n) for key, start, n in conn.execute(_COUNTS, params)}
        return [found.get(slot, 0) for slot in slots]

    def hit(self, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]:
        with self.engines.writing(), self.engines.write.begin() as conn:
            return _hit(conn, keys, now)

    # -- fingerprints -----------------------------------------------------------------------
    def similar(
        self,
        site_id: int,
        probe: Fingerprint,
        since: datetime,
        exclude_comment: int | None = None,
        limit: int = 50,
    ) -> list[StoredFingerprint]:
        params: dict[str, object] = {
            "b_site": site_id,
            "b_since": since,
            "b_exact": probe.exact,
            "b_bands": list(probe.bands),
            "b_limit": limit,
        }
        query = _SIMILAR
        if exclude_comment is not None:
            query, params["b_exclude"] = _SIMILAR_EXCLUDING, exclude_comment
        with self.engines.read.connect() as conn:
            return [_stored(row) for row in conn.execute(query, params)]

    def recent_by_author(
        self,
        site_id: int,
        reader_key: str,
        since: datetime,
        exclude_comment: int | None = None,
        limit: int = 100,
    ) -> list[StoredFingerprint]:
        params: dict[str, object] = {
            "b_site": site_id,
            "b_reader": reader_key,
            "b_since": since,
            "b_limit": limit,
        }
        query = _BY_AUTHOR
        if exclude_comment is not None:
            query, params["b_exclude"] = _BY_AUTHOR_EXCLUDING, exclude_comment
        with self.engines.read.connect() as conn:
            return [_stored(row) for row in conn.execute(query, params)]

    def prune(self, before: datetime) -> None:
        """Forget fingerprints older than ``before`` (writers also do this every so often)."""
        with self.engines.writing(), self.engines.write.begin() as conn:
            _prune_fingerprints(conn, before)

    # -- history ----------------------------------------------------------------------------
    def history(self, site_id: int, author_key: str, since: datetime) -> AuthorHistory:
        query, who = _HISTORY_READER, cast(object, author_key)
        if author_key.startswith("a:") and author_key[2:].isdigit():
            query, who = _HISTORY_ACCOUNT, int(author_key[2:])
        with self.engines.read.connect() as conn:
            row = conn.execute(query, {"b_site": site_id, "b_who": who, "b_since": since}).one()
        published, held, rejected = row
        return AuthorHistory(int(published), int(held), int(rejected))
