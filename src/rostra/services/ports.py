"""What the services need from storage, declared where it is consumed.

The storage package implements these protocols for SQLite and PostgreSQL. Reads go through
``ReadStore``; every change happens inside one ``WriteTransaction`` so that a comment and all the
counters it touches commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rostra.domain.models import Comment, CommentStatus, Revision, Site, SortOrder, Thread


@dataclass(frozen=True, slots=True)
class NewComment:
    """Everything needed to insert one comment."""

    public_id: str
    thread_id: int
    parent: Comment | None
    author_name: str
    reader_key: str | None
    account_id: int | None
    email_hash: str | None
    body: str
    html: str
    status: CommentStatus
    created_at: datetime
    client_nonce: str | None
    language: str | None = None
    # The moderation record as JSON (for the moderators' queue), when moderation ran.
    moderation: str | None = None


@dataclass(frozen=True, slots=True)
class RootCursor:
    """Where the previous page of roots ended: that root's sort keys."""

    created_at: datetime
    score: int
    id: int


class ReadStore(Protocol):
    def get_site(self, slug: str) -> Site | None: ...

    def get_thread(self, site_id: int, external_id: str) -> Thread | None: ...

    def get_thread_by_id(self, thread_id: int) -> Thread | None: ...

    def thread_version(self, site_id: int, external_id: str) -> int | None: ...

    def data_stamp(self) -> int | None: ...

    def get_comment(self, site_id: int, public_id: str) -> Comment | None: ...

    def list_roots(
        self, thread_id: int, sort: SortOrder, after: RootCursor | None, limit: int | None
    ) -> list[Comment]: ...

    def list_replies(self, root_ids: Sequence[int]) -> list[Comment]: ...

    def count_roots(self, thread_id: int) -> int: ...

    def counts(self, site_id: int, external_ids: Sequence[str]) -> dict[str, int]: ...

    def revisions(self, comment_id: int) -> list[Revision]: ...

    def reader_comments(self, thread_id: int, reader_key: str) -> list[str]: ...

    def reader_votes(self, thread_id: int, voter_key: str) -> dict[str, int]: ...


class WriteTransaction(Protocol):
    def get_or_create_thread(
        self, site_id: int, external_id: str, url: str, title: str, now: datetime, create: bool
    ) -> Thread | None: ...

    def get_comment(self, site_id: int, public_id: str) -> Comment | None: ...

    def insert_comment(self, new: NewComment) -> Comment: ...

    def nonce_used(self, thread_id: int, nonce: str) -> bool: ...

    def update_body(
        self, comment: Comment, body: str, html: str, editor: str, now: datetime
    ) -> Comment: ...

    def set_status(self, comment: Comment, status: CommentStatus) -> Comment: ...

    def set_moderation(self, comment_id: int, language: str | None, record: str | None) -> None: ...

    def mark_deleted(self, comment: Comment, now: datetime) -> Comment: ...

    def set_vote(self, comment: Comment, voter_key: str, value: int, now: datetime) -> int: ...

    def touch_thread(self, thread_id: int, count_delta: int) -> None: ...


class Store(ReadStore, Protocol):
    def write(self) -> AbstractContextManager[WriteTransaction]: ...


class SiteStore(Protocol):
    """Administration of sites (CLI and admin API)."""

    def create_site(
        self, slug: str, name: str, origins: Sequence[str], settings: dict[str, object]
    ) -> Site: ...

    def update_site(
        self, slug: str, origins: Sequence[str] | None, settings: dict[str, object] | None
    ) -> Site: ...

    def list_sites(self) -> Iterator[Site]: ...
