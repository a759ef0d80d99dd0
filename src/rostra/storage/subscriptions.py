"""Subscribers and their subscriptions in the database, for SQLite and PostgreSQL.

Writes are mixed into the store's write transaction (:class:`SubscriptionWrites`), so a
subscription commits with the comment that asked for it and with its confirmation job, or not
at all. Reads that pages make (the "manage my notifications" list) go through
:class:`SqlSubscriptionReads` on the read engine. Addresses arrive sealed and are found by their
keyed hash (the ``key`` column), never by their text: no ``LIKE``, so ``%`` and ``_`` in an
address are just characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, select, update

from rostra.domain.subscriptions import (
    Cadence,
    Subscriber,
    Subscription,
    SubscriptionState,
    SubscriptionView,
    Target,
    target_key,
)
from rostra.storage.database import Engines, upsert
from rostra.storage.rows import utc
from rostra.storage.tables import comments, subscribers, subscriptions, threads

_PENDING = SubscriptionState.PENDING.value
_CONFIRMED = SubscriptionState.CONFIRMED.value
_ENDED = SubscriptionState.ENDED.value


def subscriber_from_row(row: Row[Any]) -> Subscriber:
    return Subscriber(
        id=int(row.id),
        site_id=int(row.site_id),
        key=row.key,
        email_hash=row.email_hash,
        account_id=row.account_id,
        sealed_address=row.address,
        language=row.language,
        confirmed_at=utc(row.confirmed_at),
        created_at=utc(row.created_at) or row.created_at,
    )


def subscription_from_row(row: Row[Any]) -> Subscription:
    return Subscription(
        id=int(row.id),
        site_id=int(row.site_id),
        subscriber_id=int(row.subscriber_id),
        target=Target(row.target),
        thread_id=int(row.thread_id),
        comment_id=row.comment_id,
        cadence=Cadence(row.cadence),
        language=row.language,
        state=SubscriptionState(row.state),
        created_at=utc(row.created_at) or row.created_at,
        confirmed_at=utc(row.confirmed_at),
        ended_at=utc(row.ended_at),
    )


class SubscriptionWrites:
    """The subscription part of ``WriteTransaction``, mixed into the store's transaction."""

    conn: Connection

    def subscriber(self, subscriber_id: int) -> Subscriber | None:
        row = self.conn.execute(
            select(subscribers).where(subscribers.c.id == subscriber_id)
        ).first()
        return subscriber_from_row(row) if row else None

    def add_subscriber(
        self,
        site_id: int,
        key: str,
        *,
        email_hash: str | None,
        account_id: int | None,
        sealed_address: str | None,
        language: str,
        confirm_nonce: str,
        now: datetime,
    ) -> tuple[Subscriber, str | None]:
        """The subscriber ``key`` of the site, added if new: (subscriber, nonce of the
        confirmation link in force, None once confirmed). An unconfirmed subscriber without a
        link in force (never had one, or stopped everything) gets ``confirm_nonce``."""
        self.conn.execute(
            upsert(self.conn, subscribers)
            .values(
                site_id=site_id,
                key=key,
                email_hash=email_hash,
                account_id=account_id,
                address=sealed_address,
                language=language,
                confirm_nonce=confirm_nonce,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["site_id", "key"])
        )
        c = subscribers.c
        self.conn.execute(
            update(subscribers)
            .where(c.site_id == site_id, c.key == key, c.confirmed_at.is_(None))
            .where(c.confirm_nonce.is_(None))
            .values(confirm_nonce=confirm_nonce)
        )
        row = self.conn.execute(select(subscribers).where(c.site_id == site_id, c.key == key)).one()
        return subscriber_from_row(row), row.confirm_nonce

    def confirm_nonce(self, subscriber_id: int) -> str | None:
        nonce: str | None = self.conn.execute(
            select(subscribers.c.confirm_nonce).where(subscribers.c.id == subscriber_id)
        ).scalar()
        return nonce

    def subscribe(
        self,
        subscriber: Subscriber,
        target: Target,
        thread_id: int,
        comment_id: int | None,
        cadence: Cadence,
        language: str,
        now: datetime,
    ) -> Subscription:
        """Add or renew the subscriber's one subscription to this target: confirmed at once
        when the address is, else pending; the cadence and language asked for now win."""
        key = target_key(target, thread_id, comment_id)
        state = _CONFIRMED if subscriber.confirmed else _PENDING
        c = subscriptions.c
        found = self.conn.execute(
            select(subscriptions).where(c.subscriber_id == subscriber.id, c.target_key == key)
        ).first()
        values: dict[str, Any] = {"cadence": cadence.value, "language": language}
        if found is None:
            self.conn.execute(
                subscriptions.insert().values(
                    site_id=subscriber.site_id,
                    subscriber_id=subscriber.id,
                    target=target.value,
                    target_key=key,
                    thread_id=thread_id,
                    comment_id=comment_id,
                    state=state,
                    created_at=now,
                    confirmed_at=now if state == _CONFIRMED else None,
                    **values,
                )
            )
        else:
            if found.state == _ENDED or (found.state == _PENDING and state == _CONFIRMED):
                values.update(
                    state=state,
                    ended_at=None,
                    confirmed_at=now if state == _CONFIRMED else None,
                )
            self.conn.execute(update(subscriptions).where(c.id == found.id).values(**values))
        row = self.conn.execute(
            select(subscriptions).where(c.subscriber_id == subscriber.id, c.target_key == key)
        ).one()
        return subscription_from_row(row)

    def confirm_subscriber(self, subscriber_id: int, nonce: str, now: datetime) -> int | None:
        """Confirm the address if ``nonce`` is the link in force (it is used up): how many
        subscriptions it confirmed, or None when the link is not (or no longer) in force."""
        c = subscribers.c
        done = self.conn.execute(
            update(subscribers)
            .where(c.id == subscriber_id, c.confirm_nonce == nonce, c.confirmed_at.is_(None))
            .values(confirmed_at=now, confirm_nonce=None)
        )
        if done.rowcount != 1:
            return None
        s = subscriptions.c
        result = self.conn.execute(
            update(subscriptions)
            .where(s.subscriber_id == subscriber_id, s.state == _PENDING)
            .values(state=_CONFIRMED, confirmed_at=now)
        )
        return int(result.rowcount)

    def end_subscription(self, subscriber_id: int, subscription_id: int, now: datetime) -> bool:
        """End one of the subscriber's subscriptions; False when it was not live (idempotent)."""
        s = subscriptions.c
        result = self.conn.execute(
            update(subscriptions)
            .where(s.id == subscription_id, s.subscriber_id == subscriber_id, s.state != _ENDED)
            .values(state=_ENDED, ended_at=now)
        )
        return result.rowcount == 1

    def end_all(self, subscriber_id: int, now: datetime) -> int:
        """End every subscription of the subscriber, and forget that the address was
        confirmed: subscribing it again asks its owner again (no one else can re-enrol it)."""
        s = subscriptions.c
        result = self.conn.execute(
            update(subscriptions)
            .where(s.subscriber_id == subscriber_id, s.state != _ENDED)
            .values(state=_ENDED, ended_at=now)
        )
        self.conn.execute(
            update(subscribers)
            .where(subscribers.c.id == subscriber_id)
            .values(confirmed_at=None, confirm_nonce=None)
        )
        return int(result.rowcount)

    # -- key rotation (rostra keys rotate-email) -----------------------------------------------
    def sealed_subscribers(self) -> list[Subscriber]:
        rows = self.conn.execute(
            select(subscribers).where(subscribers.c.address.is_not(None)).order_by(subscribers.c.id)
        ).fetchall()
        return [subscriber_from_row(r) for r in rows]

    def reseal(self, subscriber_id: int, key: str, email_hash: str, sealed_address: str) -> None:
        self.conn.execute(
            update(subscribers)
            .where(subscribers.c.id == subscriber_id)
            .values(key=key, email_hash=email_hash, address=sealed_address)
        )


class SqlSubscriptionReads:
    """What the notification pages read, on the read engine."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    def subscriber(self, subscriber_id: int) -> Subscriber | None:
        with self.engines.read.connect() as conn:
            row = conn.execute(select(subscribers).where(subscribers.c.id == subscriber_id)).first()
        return subscriber_from_row(row) if row else None

    def confirm_nonce(self, subscriber_id: int) -> str | None:
        with self.engines.read.connect() as conn:
            nonce: str | None = conn.execute(
                select(subscribers.c.confirm_nonce).where(subscribers.c.id == subscriber_id)
            ).scalar()
        return nonce

    def subscription(self, subscription_id: int) -> Subscription | None:
        with self.engines.read.connect() as conn:
            row = conn.execute(
                select(subscriptions).where(subscriptions.c.id == subscription_id)
            ).first()
        return subscription_from_row(row) if row else None

    def live_subscriptions(self, subscriber_id: int) -> list[SubscriptionView]:
        """The subscriber's subscriptions that are not ended, newest first, with their
        threads' titles (and, for replies, the comment's author)."""
        s = subscriptions.c
        query = (
            select(
                subscriptions,
                threads.c.title.label("thread_title"),
                threads.c.url.label("thread_url"),
                comments.c.author_name.label("comment_author"),
            )
            .join(threads, threads.c.id == s.thread_id)
            .outerjoin(comments, comments.c.id == s.comment_id)
            .where(and_(s.subscriber_id == subscriber_id, s.state != _ENDED))
            .order_by(s.created_at.desc(), s.id.desc())
        )
        with self.engines.read.connect() as conn:
            rows = conn.execute(query).fetchall()
        return [
            SubscriptionView(
                subscription_from_row(r), r.thread_title, r.thread_url, r.comment_author
            )
            for r in rows
        ]

    def all_rows(self) -> Iterator[Subscription]:
        with self.engines.read.connect() as conn:
            rows = conn.execute(select(subscriptions).order_by(subscriptions.c.id)).fetchall()
        return iter([subscription_from_row(r) for r in rows])
