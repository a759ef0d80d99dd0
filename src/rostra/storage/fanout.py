"""What the notification fan-out and the digests read and write (rostra.notify.fanout,
rostra.notify.digest), for SQLite and PostgreSQL.

Who gets a mail is read when the job runs, not when the comment was posted: a subscription
confirmed or ended meanwhile counts as it is now. The fan-out's writes (a job per immediate
recipient, a digest item per other one, each period's digest job) go in one transaction, every
insert ``ON CONFLICT DO NOTHING``: a fan-out run again after a crash adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, delete, or_, select

from rostra.domain.models import CommentStatus
from rostra.domain.subscriptions import Cadence, SubscriptionState, Target
from rostra.notify.digest import DigestEntry
from rostra.notify.fanout import Match, NewDigestItem, Published
from rostra.services.ports import NewJob
from rostra.storage.database import Engines, upsert
from rostra.storage.jobs import JobWrites, job_values
from rostra.storage.rows import comment_from_row, site_from_row, thread_from_row
from rostra.storage.subscriptions import subscriber_from_row, subscription_from_row
from rostra.storage.tables import (
    comments,
    digest_items,
    jobs,
    sites,
    subscribers,
    subscriptions,
    threads,
)

_CONFIRMED = SubscriptionState.CONFIRMED.value
# Rows per statement: well inside SQLite's limit on bound parameters.
_BATCH = 200


class _Tx(JobWrites):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class _Prefixed:
    """The columns of one table in a joined row, by their own names (``row.id``…)."""

    def __init__(self, values: Any, prefix: str) -> None:
        self._values = values
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        return self._values[self._prefix + name]


def _labelled(table: Any, prefix: str) -> list[Any]:
    return [c.label(f"{prefix}{c.name}") for c in table.c]


# Built once: making the labels and the alias costs more than running the query.
_PARENT = comments.alias("parent")
_PUBLISHED = (
    select(
        *_labelled(comments, "c_"),
        *_labelled(threads, "t_"),
        *_labelled(sites, "s_"),
        *_labelled(_PARENT, "p_"),
    )
    .join_from(comments, threads, threads.c.id == comments.c.thread_id)
    .join(sites, sites.c.id == threads.c.site_id)
    .outerjoin(_PARENT, _PARENT.c.id == comments.c.parent_id)
    .where(comments.c.id == bindparam("comment_id"))
)
_LIVE = (
    select(*_labelled(subscriptions, "s_"), *_labelled(subscribers, "p_"))
    .join_from(subscriptions, subscribers, subscribers.c.id == subscriptions.c.subscriber_id)
    .where(subscriptions.c.state == _CONFIRMED, subscribers.c.confirmed_at.is_not(None))
)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class FanoutWrites:
    """``WriteTransaction.has_followers``, mixed into the store's write transaction."""

    conn: Connection

    def has_followers(self, thread_id: int) -> bool:
        # Every subscription names its thread (a reply subscription too): one indexed lookup.
        s = subscriptions.c
        found = self.conn.execute(
            select(s.id)
            .where(s.thread_id == thread_id, s.state != SubscriptionState.ENDED.value)
            .limit(1)
        ).first()
        return found is not None


def author_hashes_query(thread_id: int, reader_key: str) -> Select[Any]:
    """The addresses (hashed) one reader gave in one thread: read through the index on
    (reader_key, thread_id), a few rows, not the thread's thousands."""
    c = comments.c
    return (
        select(c.email_hash)
        .where(c.reader_key == reader_key, c.thread_id == thread_id, c.email_hash.is_not(None))
        .distinct()
    )


class SqlFanout:
    """rostra.notify.digest.DigestStore (and so the fan-out's store) over ``engines``."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    # -- the comment and who follows it --------------------------------------------------------
    def published(self, comment_id: int) -> Published | None:
        # One query (a fan-out and, in another process, its first mail each read it): the
        # comment, its thread and site, and its parent when it has one.
        with self.engines.read.connect() as conn:
            row = conn.execute(_PUBLISHED, {"comment_id": comment_id}).first()
        if row is None:
            return None
        values = row._mapping
        comment = comment_from_row(_Prefixed(values, "c_"))  # type: ignore[arg-type]
        if comment.status is not CommentStatus.PUBLISHED or comment.is_deleted:
            return None
        found = values["p_id"] is not None
        return Published(
            site_from_row(_Prefixed(values, "s_")),  # type: ignore[arg-type]
            thread_from_row(_Prefixed(values, "t_")),  # type: ignore[arg-type]
            comment,
            values["c_email_hash"],
            comment_from_row(_Prefixed(values, "p_")) if found else None,  # type: ignore[arg-type]
        )

    def matches(self, published: Published) -> list[Match]:
        s = subscriptions.c
        comment = published.comment
        wanted = and_(s.target == Target.THREAD.value, s.thread_id == comment.thread_id)
        if comment.parent_id is not None:
            replies = and_(s.target == Target.REPLIES.value, s.comment_id == comment.parent_id)
            wanted = or_(wanted, replies)
        where = and_(s.site_id == published.site.id, s.state == _CONFIRMED, wanted)
        with self.engines.read.connect() as conn:
            rows = conn.execute(select(subscriptions).where(where))
            found = [subscription_from_row(r) for r in rows]
            people = conn.execute(
                select(subscribers).where(
                    subscribers.c.id.in_(select(s.subscriber_id).where(where)),
                    subscribers.c.confirmed_at.is_not(None),
                )
            )
            by_id = {p.id: subscriber_from_row(p) for p in people}
        return [Match(sub, by_id[sub.subscriber_id]) for sub in found if sub.subscriber_id in by_id]

    def author_hashes(self, published: Published) -> set[str]:
        comment = published.comment
        hashes = {published.email_hash} if published.email_hash else set()
        if comment.reader_key:
            with self.engines.read.connect() as conn:
                rows = conn.execute(author_hashes_query(comment.thread_id, comment.reader_key))
                hashes.update(r.email_hash for r in rows)
        return hashes

    def live(self, subscription_id: int) -> Match | None:
        # One query (it runs once per mail): the subscription and its subscriber, both confirmed.
        found = self._live(subscriptions.c.id == subscription_id)
        return found[0] if found else None

    def live_mails(self, published: Published) -> list[Match]:
        # What ``matches`` finds, its immediate part, in one joined query: the mail jobs of one
        # comment read it once (rostra.notify.fanout.Notifier.live).
        s = subscriptions.c
        comment = published.comment
        wanted = and_(s.target == Target.THREAD.value, s.thread_id == comment.thread_id)
        if comment.parent_id is not None:
            replies = and_(s.target == Target.REPLIES.value, s.comment_id == comment.parent_id)
            wanted = or_(wanted, replies)
        return self._live(
            s.site_id == published.site.id, s.cadence == Cadence.IMMEDIATE.value, wanted
        )

    def _live(self, *where: Any) -> list[Match]:
        with self.engines.read.connect() as conn:
            rows = conn.execute(_LIVE.where(*where)).fetchall()
        return [
            Match(
                subscription_from_row(_Prefixed(row._mapping, "s_")),  # type: ignore[arg-type]
                subscriber_from_row(_Prefixed(row._mapping, "p_")),  # type: ignore[arg-type]
            )
            for row in rows
        ]

    # -- the fan-out's one transaction -----------------------------------------------------------
    def fan_out(
        self,
        mails: Sequence[NewJob],
        items: Sequence[NewDigestItem],
        digests: Sequence[NewJob],
        now: datetime,
    ) -> None:
        job_rows = [job_values(job, now) for job in [*mails, *digests]]
        item_rows = [
            {
                "site_id": i.site_id,
                "subscriber_id": i.subscriber_id,
                "subscription_id": i.subscription_id,
                "comment_id": i.comment_id,
                "cadence": i.cadence.value,
                "due_at": _utc(i.due_at),
                "created_at": now,
            }
            for i in items
        ]
        with self.engines.begin() as conn:
            for start in range(0, len(job_rows), _BATCH):
                conn.execute(
                    upsert(conn, jobs)
                    .values(job_rows[start : start + _BATCH])
                    .on_conflict_do_nothing(index_elements=["idempotency_key"])
                )
            for start in range(0, len(item_rows), _BATCH):
                conn.execute(
                    upsert(conn, digest_items)
                    .values(item_rows[start : start + _BATCH])
                    .on_conflict_do_nothing(index_elements=["subscriber_id", "comment_id"])
                )

    # -- digests ---------------------------------------------------------------------------------
    def due_subscribers(self, cadence: Cadence, due: datetime, after: int, limit: int) -> list[int]:
        d = digest_items.c
        with self.engines.read.connect() as conn:
            rows = conn.execute(
                select(d.subscriber_id)
                .where(d.cadence == cadence.value, d.due_at <= _utc(due), d.subscriber_id > after)
                .distinct()
                .order_by(d.subscriber_id)
                .limit(limit)
            )
            return [int(r.subscriber_id) for r in rows]

    def entries(
        self, subscriber_ids: Sequence[int], cadence: Cadence, due: datetime
    ) -> list[DigestEntry]:
        if not subscriber_ids:
            return []
        d = digest_items.c
        with self.engines.read.connect() as conn:
            items = conn.execute(
                select(digest_items)
                .where(
                    d.subscriber_id.in_(list(subscriber_ids)),
                    d.cadence == cadence.value,
                    d.due_at <= _utc(due),
                )
                .order_by(d.subscriber_id, d.id)
            ).fetchall()
            live = conn.execute(
                select(subscriptions).where(
                    subscriptions.c.id.in_({r.subscription_id for r in items}),
                    subscriptions.c.state == _CONFIRMED,
                )
            )
            by_subscription = {r.id: subscription_from_row(r) for r in live}
            people = conn.execute(
                select(subscribers).where(
                    subscribers.c.id.in_(list(subscriber_ids)),
                    subscribers.c.confirmed_at.is_not(None),
                )
            )
            by_subscriber = {p.id: subscriber_from_row(p) for p in people}
        found: list[DigestEntry] = []
        for r in items:
            sub, person = by_subscription.get(r.subscription_id), by_subscriber.get(r.subscriber_id)
            match = Match(sub, person) if sub is not None and person is not None else None
            found.append(DigestEntry(int(r.id), int(r.subscriber_id), int(r.comment_id), match))
        return found

    def drop(self, item_ids: Sequence[int]) -> None:
        ids = list(item_ids)
        with self.engines.begin() as conn:
            for start in range(0, len(ids), _BATCH):
                conn.execute(
                    delete(digest_items).where(digest_items.c.id.in_(ids[start : start + _BATCH]))
                )

    def enqueue(self, job: NewJob, now: datetime) -> None:
        with self.engines.begin() as conn:
            _Tx(conn).enqueue(job, now)

    def pending_items(self) -> int:
        """How many digest items wait (for tests and the bench)."""
        with self.engines.read.connect() as conn:
            return len(conn.execute(select(digest_items.c.id)).fetchall())
