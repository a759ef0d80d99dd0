"""Queries behind the service ports, one implementation for SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from rostra.domain import rules
from rostra.domain.errors import N_, Conflict, NotFound
from rostra.domain.models import (
    Comment,
    CommentStatus,
    Revision,
    Site,
    SiteSettings,
    SortOrder,
    Thread,
)
from rostra.services.ports import NewComment, RootCursor
from rostra.storage.database import Engines, upsert
from rostra.storage.desk import DeskReads, DeskWrites
from rostra.storage.fanout import FanoutWrites
from rostra.storage.jobs import JobWrites
from rostra.storage.moderation import ModerationWrites
from rostra.storage.rows import COMMENT_COLUMNS as _COMMENT_COLUMNS
from rostra.storage.rows import comment_from_row as _comment
from rostra.storage.rows import has_nul as _has_nul
from rostra.storage.rows import site_from_row as _site
from rostra.storage.rows import thread_from_row as _thread
from rostra.storage.rows import utc as _utc
from rostra.storage.staff_alerts import StaffAlertWrites
from rostra.storage.subscriptions import SubscriptionWrites
from rostra.storage.tables import (
    comments,
    moderation_examples,
    revisions,
    sites,
    threads,
    votes,
)
from rostra.storage.thread_versions import QueryVersionProbe, SqliteVersionProbe, version_probe
from rostra.storage.webhooks import WebhookWrites

# Statements on the hot paths are built once; per call only parameters change. Building
# SQLAlchemy expressions per call cost more than running them on SQLite.
_THREAD_BY_KEY = select(threads).where(
    threads.c.site_id == bindparam("b_site"), threads.c.external_id == bindparam("b_external")
)
_COMMENT_BY_PUBLIC_ID = (
    select(*_COMMENT_COLUMNS)
    .join(threads, threads.c.id == comments.c.thread_id)
    .where(comments.c.public_id == bindparam("b_public"), threads.c.site_id == bindparam("b_site"))
)
_COMMENT_BY_ID = select(*_COMMENT_COLUMNS).where(comments.c.id == bindparam("b_id"))
_NONCE_USED = select(comments.c.id).where(
    comments.c.thread_id == bindparam("b_thread"), comments.c.client_nonce == bindparam("b_nonce")
)
_INSERT_COMMENT = comments.insert()
_COUNT_REPLY = (
    update(comments)
    .where(comments.c.id == bindparam("b_id"))
    .values(reply_count=comments.c.reply_count + 1)
)
_TOUCH_THREAD = (
    update(threads)
    .where(threads.c.id == bindparam("b_id"))
    .values(
        version=threads.c.version + 1,
        comment_count=threads.c.comment_count + bindparam("b_delta"),
    )
)


class SqlStore(DeskReads):
    """The ``Store`` port over SQLAlchemy Core."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self._versions: SqliteVersionProbe | QueryVersionProbe | None = None

    # -- reads ----------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engines.read.connect() as conn:
            yield conn

    def get_site(self, slug: str) -> Site | None:
        if _has_nul(slug):
            return None
        with self._read() as conn:
            row = conn.execute(select(sites).where(sites.c.slug == slug)).first()
        return _site(row) if row else None

    def get_thread(self, site_id: int, external_id: str) -> Thread | None:
        if _has_nul(external_id):
            return None
        with self._read() as conn:
            return _get_thread(conn, site_id, external_id)

    def get_thread_by_id(self, thread_id: int) -> Thread | None:
        with self._read() as conn:
            row = conn.execute(select(threads).where(threads.c.id == thread_id)).first()
        return _thread(row) if row else None

    def data_stamp(self) -> int | None:
        """Changes whenever anything was written (SQLite); None when there is no such counter."""
        if self._versions is None:
            self._versions = version_probe(self.engines.read)
        return self._versions.stamp()

    def thread_version(self, site_id: int, external_id: str) -> int | None:
        if _has_nul(external_id):
            return None
        if self._versions is None:
            self._versions = version_probe(self.engines.read)
        return self._versions.version(site_id, external_id)

    def close(self) -> None:
        if self._versions is not None:
            self._versions.close()
        self.engines.dispose()

    def get_comment(self, site_id: int, public_id: str) -> Comment | None:
        with self._read() as conn:
            return _get_comment(conn, site_id, public_id)

    def list_roots(
        self, thread_id: int, sort: SortOrder, after: RootCursor | None, limit: int | None
    ) -> list[Comment]:
        c = comments.c
        query = select(*_COMMENT_COLUMNS).where(c.thread_id == thread_id, c.root_id.is_(None))
        if sort is SortOrder.NEWEST:
            order = [c.created_at.desc(), c.id.desc()]
            if after:
                query = query.where(
                    or_(
                        c.created_at < after.created_at,
                        and_(c.created_at == after.created_at, c.id < after.id),
                    )
                )
        elif sort is SortOrder.OLDEST:
            order = [c.created_at.asc(), c.id.asc()]
            if after:
                query = query.where(
                    or_(
                        c.created_at > after.created_at,
                        and_(c.created_at == after.created_at, c.id > after.id),
                    )
                )
        else:
            order = [c.score.desc(), c.id.desc()]
            if after:
                query = query.where(
                    or_(c.score < after.score, and_(c.score == after.score, c.id < after.id))
                )
        query = query.order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [_comment(r) for r in conn.execute(query)]

    def list_replies(self, root_ids: Sequence[int]) -> list[Comment]:
        c = comments.c
        result: list[Comment] = []
        with self._read() as conn:
            # Chunked to stay under SQLite's bound-parameter limit on "View all comments".
            for start in range(0, len(root_ids), 500):
                chunk = list(root_ids[start : start + 500])
                query = select(*_COMMENT_COLUMNS).where(c.root_id.in_(chunk))
                result.extend(_comment(r) for r in conn.execute(query))
        result.sort(key=lambda r: (r.created_at, r.id))
        return result

    def count_roots(self, thread_id: int) -> int:
        c = comments.c
        query = select(func.count()).where(
            c.thread_id == thread_id,
            c.root_id.is_(None),
            c.status == CommentStatus.PUBLISHED.value,
            c.deleted_at.is_(None),
        )
        with self._read() as conn:
            return int(conn.execute(query).scalar() or 0)

    def counts(self, site_id: int, external_ids: Sequence[str]) -> dict[str, int]:
        external_ids = [e for e in external_ids if not _has_nul(e)]
        if not external_ids:
            return {}
        query = select(threads.c.external_id, threads.c.comment_count).where(
            threads.c.site_id == site_id, threads.c.external_id.in_(list(external_ids))
        )
        with self._read() as conn:
            return {row.external_id: row.comment_count for row in conn.execute(query)}

    def revisions(self, comment_id: int) -> list[Revision]:
        r = revisions.c
        query = select(revisions).where(r.comment_id == comment_id).order_by(r.number)
        with self._read() as conn:
            return [
                Revision(
                    row.number, row.body, _utc(row.created_at) or datetime.now(UTC), row.editor_name
                )
                for row in conn.execute(query)
            ]

    def latest_published(
        self, site_id: int, thread_id: int | None, limit: int
    ) -> list[tuple[Comment, Thread]]:
        c = comments.c
        query = (
            select(*_COMMENT_COLUMNS)
            .join(threads, threads.c.id == c.thread_id)
            .where(
                threads.c.site_id == site_id,
                c.status == CommentStatus.PUBLISHED.value,
                c.deleted_at.is_(None),
            )
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        if thread_id is not None:
            query = query.where(c.thread_id == thread_id)
        with self._read() as conn:
            found = [_comment(r) for r in conn.execute(query)]
            ids = sorted({x.thread_id for x in found})
            by_id: dict[int, Thread] = {}
            if ids:
                rows = conn.execute(select(threads).where(threads.c.id.in_(ids)))
                by_id = {t.id: t for t in (_thread(r) for r in rows)}
        return [(x, by_id[x.thread_id]) for x in found]

    def reader_comments(self, thread_id: int, reader_key: str) -> list[str]:
        c = comments.c
        query = select(c.public_id).where(
            c.thread_id == thread_id, c.reader_key == reader_key, c.deleted_at.is_(None)
        )
        with self._read() as conn:
            return [row.public_id for row in conn.execute(query)]

    def reader_votes(self, thread_id: int, voter_key: str) -> dict[str, int]:
        query = (
            select(comments.c.public_id, votes.c.value)
            .join(comments, comments.c.id == votes.c.comment_id)
            .where(comments.c.thread_id == thread_id, votes.c.voter_key == voter_key)
        )
        with self._read() as conn:
            return {row.public_id: row.value for row in conn.execute(query)}

    # -- writes ---------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[SqlWriteTransaction]:
        try:
            with self.engines.writing(), self.engines.write.begin() as conn:
                yield SqlWriteTransaction(conn)
        except IntegrityError as exc:
            raise Conflict(
                N_("The change conflicts with another one; try again."), code="write-conflict"
            ) from exc

    # -- sites ----------------------------------------------------------------------------
    def create_site(
        self, slug: str, name: str, origins: Sequence[str], settings: dict[str, object]
    ) -> Site:
        rules.validate_slug(slug)
        SiteSettings.from_mapping(settings)
        values = {
            "slug": slug,
            "name": name,
            "allowed_origins": " ".join(o.rstrip("/").lower() for o in origins),
            "settings": json.dumps(settings, sort_keys=True),
            "created_at": datetime.now(UTC),
        }
        try:
            with self.engines.writing(), self.engines.write.begin() as conn:
                conn.execute(sites.insert().values(**values))
        except IntegrityError as exc:
            raise Conflict(
                N_("A site called %(site)s already exists."), code="site-exists", site=slug
            ) from exc
        site = self.get_site(slug)
        assert site is not None
        return site

    def update_site(
        self, slug: str, origins: Sequence[str] | None, settings: dict[str, object] | None
    ) -> Site:
        site = self.get_site(slug)
        if site is None:
            raise NotFound(
                N_("There is no site called %(site)s."), code="site-not-found", site=slug
            )
        values: dict[str, object] = {}
        if origins is not None:
            values["allowed_origins"] = " ".join(o.rstrip("/").lower() for o in origins)
        if settings is not None:
            SiteSettings.from_mapping(settings)
            values["settings"] = json.dumps(settings, sort_keys=True)
        if values:
            with self.engines.writing(), self.engines.write.begin() as conn:
                conn.execute(update(sites).where(sites.c.id == site.id).values(**values))
        updated = self.get_site(slug)
        assert updated is not None
        return updated

    def list_sites(self) -> Iterator[Site]:
        with self._read() as conn:
            rows = conn.execute(select(sites).order_by(sites.c.slug)).fetchall()
        return iter([_site(r) for r in rows])


class SqlWriteTransaction(
    DeskWrites,
    ModerationWrites,
    JobWrites,
    SubscriptionWrites,
    WebhookWrites,
    FanoutWrites,
    StaffAlertWrites,
):
    """The ``WriteTransaction`` port: every call runs inside one database transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_or_create_thread(
        self, site_id: int, external_id: str, url: str, title: str, now: datetime, create: bool
    ) -> Thread | None:
        # ``url`` and ``title`` are recorded on creation only: later changes come through
        # ``update_thread`` (see rostra.services.thread_meta for who may make them).
        thread = _get_thread(self.conn, site_id, external_id)
        if thread is not None:
            return thread
        if not create:
            return None
        # Two first comments on a new article arrive together: on PostgreSQL both transactions
        # see no thread and both insert it. ON CONFLICT DO NOTHING makes the second wait for the
        # first, then insert nothing and read the thread the first one committed (READ
        # COMMITTED reads it in the next statement), instead of failing with a write conflict.
        self.conn.execute(
            upsert(self.conn, threads)
            .values(
                site_id=site_id,
                external_id=external_id,
                url=url,
                title=title,
                closed=False,
                comment_count=0,
                version=0,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["site_id", "external_id"])
        )
        return _get_thread(self.conn, site_id, external_id)

    def get_comment(self, site_id: int, public_id: str) -> Comment | None:
        return _get_comment(self.conn, site_id, public_id)

    def nonce_used(self, thread_id: int, nonce: str) -> bool:
        found = self.conn.execute(_NONCE_USED, {"b_thread": thread_id, "b_nonce": nonce})
        return found.first() is not None

    def insert_comment(self, new: NewComment) -> Comment:
        parent = new.parent
        root_id = None if parent is None else (parent.root_id or parent.id)
        depth = 0 if parent is None else parent.depth + 1
        result = self.conn.execute(
            _INSERT_COMMENT,
            {
                "public_id": new.public_id,
                "thread_id": new.thread_id,
                "parent_id": parent.id if parent else None,
                "root_id": root_id,
                "depth": depth,
                "author_name": new.author_name,
                "reader_key": new.reader_key,
                "account_id": new.account_id,
                "email_hash": new.email_hash,
                "body": new.body,
                "html": new.html,
                "status": new.status.value,
                "language": new.language,
                "created_at": new.created_at,
                "upvotes": 0,
                "downvotes": 0,
                "score": 0,
                "reply_count": 0,
                "client_nonce": new.client_nonce,
                "moderation": new.moderation,
            },
        )
        if parent is not None:
            self.conn.execute(_COUNT_REPLY, {"b_id": parent.id})
        return Comment(
            id=int(result.inserted_primary_key[0]),  # type: ignore[index]
            public_id=new.public_id,
            thread_id=new.thread_id,
            parent_id=parent.id if parent else None,
            root_id=root_id,
            depth=depth,
            author_name=new.author_name,
            reader_key=new.reader_key,
            account_id=new.account_id,
            body=new.body,
            html=new.html,
            status=new.status,
            created_at=new.created_at,
            edited_at=None,
            edited_by=None,
            deleted_at=None,
            upvotes=0,
            downvotes=0,
            reply_count=0,
            language=new.language,
        )

    def update_body(
        self, comment: Comment, body: str, html: str, editor: str, now: datetime
    ) -> Comment:
        number = (
            self.conn.execute(
                select(func.count()).where(revisions.c.comment_id == comment.id)
            ).scalar()
            or 0
        )
        if number == 0:
            # Keep the original text as revision 1, then each later text in turn.
            self.conn.execute(
                revisions.insert().values(
                    comment_id=comment.id,
                    number=1,
                    body=comment.body,
                    editor_name=comment.author_name,
                    created_at=comment.created_at,
                )
            )
            number = 1
        self.conn.execute(
            revisions.insert().values(
                comment_id=comment.id,
                number=number + 1,
                body=body,
                editor_name=editor,
                created_at=now,
            )
        )
        self.conn.execute(
            update(comments)
            .where(comments.c.id == comment.id)
            .values(body=body, html=html, edited_at=now, edited_by=editor)
        )
        return self._reload(comment.id)

    def set_status(self, comment: Comment, status: CommentStatus) -> Comment:
        self.conn.execute(
            update(comments).where(comments.c.id == comment.id).values(status=status.value)
        )
        return self._reload(comment.id)

    def set_moderation(self, comment_id: int, language: str | None, record: str | None) -> None:
        self.conn.execute(
            update(comments)
            .where(comments.c.id == comment_id)
            .values(language=language, moderation=record)
        )

    def mark_deleted(self, comment: Comment, now: datetime) -> Comment:
        # The author asked for the text to go: erase it and every earlier revision, and what the
        # site learnt from a moderator's decision on it (its signature: rostra.storage.learning).
        self.conn.execute(revisions.delete().where(revisions.c.comment_id == comment.id))
        self.conn.execute(
            moderation_examples.delete().where(moderation_examples.c.comment_id == comment.id)
        )
        self.conn.execute(
            update(comments)
            .where(comments.c.id == comment.id)
            .values(deleted_at=now, body="", html="", email_hash=None)
        )
        return self._reload(comment.id)

    def set_vote(self, comment: Comment, voter_key: str, value: int, now: datetime) -> int:
        v = votes.c
        key = and_(v.comment_id == comment.id, v.voter_key == voter_key)
        previous = self.conn.execute(select(v.value).where(key)).scalar()
        previous = int(previous) if previous is not None else 0
        if previous == value:
            return previous
        if value == 0:
            self.conn.execute(votes.delete().where(key))
        elif previous == 0:
            self.conn.execute(
                votes.insert().values(
                    comment_id=comment.id, voter_key=voter_key, value=value, created_at=now
                )
            )
        else:
            self.conn.execute(update(votes).where(key).values(value=value, created_at=now))
        up = (value == 1) - (previous == 1)
        down = (value == -1) - (previous == -1)
        c = comments.c
        self.conn.execute(
            update(comments)
            .where(c.id == comment.id)
            .values(upvotes=c.upvotes + up, downvotes=c.downvotes + down, score=c.score + up - down)
        )
        return previous

    def update_thread(self, thread_id: int, url: str, title: str) -> None:
        """Move or retitle an article; its pages change, so its version moves on too."""
        self.conn.execute(
            update(threads)
            .where(threads.c.id == thread_id)
            .values(url=url, title=title, version=threads.c.version + 1)
        )

    def touch_thread(self, thread_id: int, count_delta: int) -> None:
        self.conn.execute(_TOUCH_THREAD, {"b_id": thread_id, "b_delta": count_delta})

    def _reload(self, comment_id: int) -> Comment:
        return _comment(self.conn.execute(_COMMENT_BY_ID, {"b_id": comment_id}).one())


def _get_thread(conn: Connection, site_id: int, external_id: str) -> Thread | None:
    if _has_nul(external_id):
        return None
    row = conn.execute(_THREAD_BY_KEY, {"b_site": site_id, "b_external": external_id}).first()
    return _thread(row) if row else None


def _get_comment(conn: Connection, site_id: int, public_id: str) -> Comment | None:
    if _has_nul(public_id):
        return None
    row = conn.execute(_COMMENT_BY_PUBLIC_ID, {"b_public": public_id, "b_site": site_id}).first()
    return _comment(row) if row else None
