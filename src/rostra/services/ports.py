"""What the services need from storage, declared where it is consumed.

The storage package implements these protocols for SQLite and PostgreSQL. Reads go through
``ReadStore``; every change happens inside one ``WriteTransaction`` so that a comment and all the
counters it touches commit together or not at all — and so do the jobs it causes (mails,
webhooks: ``WriteTransaction.enqueue``, docs/adr/0007-durable-jobs.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rostra.domain.desk import (
    AuditEntry,
    AuthorRecord,
    Ban,
    BanKind,
    DeskComment,
    NewAuditEntry,
    StaffAccount,
)
from rostra.domain.models import Comment, CommentStatus, Revision, Site, SortOrder, Thread
from rostra.domain.subscriptions import Cadence, Subscriber, Subscription, Target
from rostra.services.moderation_port import ModerationMemory


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
class NewJob:
    """Background work to do once the transaction that enqueues it commits.

    ``kind`` names the handler (``rostra.jobs.registry``); ``payload`` is JSON-able and holds ids
    and keys, never a comment's text or an address in clear. ``idempotency_key`` makes the job
    once-only: enqueueing the same key again adds nothing, and a handler derives from it what
    lets a receiver tell a repeat (a mail's Message-ID, a webhook delivery's id). ``run_after``
    defers it (a digest); ``None`` means as soon as a worker is free.
    """

    kind: str
    payload: Mapping[str, object]
    idempotency_key: str
    run_after: datetime | None = None


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

    def latest_published(
        self, site_id: int, thread_id: int | None, limit: int
    ) -> list[tuple[Comment, Thread]]:
        """The newest published, undeleted comments of a site (or one thread), with threads."""
        ...

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

    def update_thread(self, thread_id: int, url: str, title: str) -> None: ...

    # -- what moderation remembers -----------------------------------------------------------
    def count_hits(self, keys: Sequence[tuple[str, int]], now: datetime) -> list[int]:
        """Count one event under each ``(key, window seconds)`` in its current fixed window.

        Returns each window's count including this event, in the order of ``keys``.
        """
        ...

    def remember_moderation(self, memory: ModerationMemory, comment_id: int | None) -> None:
        """Keep what moderation wants to know about the comment later (its fingerprint, and
        its outcome where the store does not read that from the comment itself). Rate-limit
        counters are the caller's, through ``count_hits``."""
        ...

    # -- the moderators' desk ----------------------------------------------------------------
    def add_report(
        self, comment_id: int, reporter_key: str, reason: str, note: str, now: datetime
    ) -> int:
        """Record a reader's report; returns the comment's open reports. Conflict if repeated."""
        ...

    def resolve_reports(self, comment_id: int, now: datetime) -> int: ...

    def set_review(self, comment_id: int, since: datetime | None) -> bool:
        """List the comment in the desk's "To review" queue from ``since`` (``None``: take it
        off); returns whether that changed anything."""
        ...

    def add_audit(self, entry: NewAuditEntry) -> None: ...

    def add_ban(
        self,
        site_id: int,
        kind: BanKind,
        value: str,
        reason: str,
        created_by: str,
        now: datetime,
        expires_at: datetime | None,
    ) -> Ban: ...

    def lift_ban(self, site_id: int, ban_id: int, now: datetime) -> Ban | None: ...

    def active_bans_now(
        self, site_id: int, keys: Sequence[tuple[BanKind, str]], now: datetime
    ) -> list[Ban]: ...

    def comment_by_public_id(self, public_id: str) -> tuple[int, Comment] | None:
        """A comment of any site, with its site's id (to tell "another site's" from "none")."""
        ...

    # -- background work -----------------------------------------------------------------------
    def has_followers(self, thread_id: int) -> bool:
        """Whether any subscription that is not ended follows the thread or one of its comments
        (no notify.published job is worth enqueueing otherwise)."""
        ...

    def enqueue(self, job: NewJob, now: datetime) -> bool:
        """Add ``job`` to the queue in this transaction: it commits with the rest, or not at all.

        Returns False, and adds nothing, when a job with the same idempotency key exists
        (queued, running, done or dead).
        """
        ...

    def webhook_endpoints_for(self, site_id: int, event: str) -> list[int]:
        """The enabled webhook endpoints of the site that want ``event`` (their ids)."""
        ...

    # -- moderator alerts (rostra.storage.staff_alerts.StaffAlertWrites) -----------------------
    def wants_alerts(self, site_id: int) -> bool:
        """Whether any staff account of the site (its moderators, every admin) has alerts on,
        with an address (no desk.alert job is worth enqueueing otherwise)."""
        ...

    def sealed_staff_addresses(self) -> list[tuple[int, str]]:
        """(account, sealed address) of every staff alert address, for key rotation."""
        ...

    def reseal_staff_address(
        self, account_id: int, email_hash: str, sealed_address: str
    ) -> None: ...

    # -- "Notify me of" (rostra.storage.subscriptions says what each does) ---------------------
    def subscriber(self, subscriber_id: int) -> Subscriber | None: ...

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
    ) -> tuple[Subscriber, str | None]: ...

    def confirm_nonce(self, subscriber_id: int) -> str | None: ...

    def subscribe(
        self,
        subscriber: Subscriber,
        target: Target,
        thread_id: int,
        comment_id: int | None,
        cadence: Cadence,
        language: str,
        now: datetime,
    ) -> Subscription: ...

    def confirm_subscriber(self, subscriber_id: int, nonce: str, now: datetime) -> int | None: ...

    def end_subscription(self, subscriber_id: int, subscription_id: int, now: datetime) -> bool: ...

    def end_all(self, subscriber_id: int, now: datetime) -> int: ...

    def sealed_subscribers(self) -> list[Subscriber]: ...

    def reseal(
        self, subscriber_id: int, key: str, email_hash: str, sealed_address: str
    ) -> None: ...


class Store(ReadStore, Protocol):
    def write(self) -> AbstractContextManager[WriteTransaction]: ...

    def active_bans(
        self, site_id: int, keys: Sequence[tuple[BanKind, str]], now: datetime
    ) -> list[Ban]: ...


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """Which comments a moderation queue lists: by status, or by open reports."""

    site_id: int
    statuses: tuple[CommentStatus, ...] | None
    min_reports: int | None
    oldest_first: bool
    after_id: int | None
    limit: int
    #: Only published comments flagged for review (the "To review" queue).
    review: bool = False


class DeskStore(Store, Protocol):
    """What the moderators' desk reads."""

    def list_sites(self) -> Iterator[Site]: ...

    def queue(self, query: QueueQuery) -> list[DeskComment]: ...

    def queue_counts(self, site_id: int, report_threshold: int) -> dict[str, int]: ...

    def desk_comment(self, site_id: int, public_id: str) -> DeskComment | None: ...

    def context(self, comment: Comment) -> tuple[Comment | None, list[Comment]]:
        """The comment's parent and its direct replies."""
        ...

    def author_history(
        self,
        site_id: int,
        reader_key: str | None,
        account_id: int | None,
        email_hash: str | None,
        limit: int,
    ) -> AuthorRecord: ...

    def reports_of(self, comment_id: int) -> list[tuple[str, str, datetime, bool]]:
        """(reason, note, when, resolved) of every report on a comment, newest first."""
        ...

    def audit(
        self, site_id: int, before_id: int | None, limit: int, comment_id: int | None = None
    ) -> list[AuditEntry]: ...

    def bans(self, site_id: int) -> list[Ban]: ...


class StaffStore(Protocol):
    """Staff accounts, their sessions and failed-login counters."""

    def create_account(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: str,
        site_ids: Sequence[int],
        now: datetime,
    ) -> StaffAccount: ...

    def account_login(self, username: str) -> tuple[StaffAccount, str] | None:
        """The account and its password hash, by case-folded user name."""
        ...

    def list_accounts(self) -> list[StaffAccount]: ...

    def update_account(
        self,
        account_id: int,
        *,
        password_hash: str | None = None,
        role: str | None = None,
        site_ids: Sequence[int] | None = None,
        disabled: bool | None = None,
    ) -> StaffAccount | None: ...

    def create_session(
        self, key_hash: str, account_id: int, now: datetime, expires_at: datetime
    ) -> None: ...

    def session_account(
        self, key_hash: str, now: datetime
    ) -> tuple[StaffAccount, datetime, datetime] | None:
        """The live session's account, creation and last-seen times; None when expired."""
        ...

    def touch_session(self, key_hash: str, now: datetime, expires_at: datetime) -> None: ...

    def delete_session(self, key_hash: str) -> None: ...

    def delete_sessions(self, account_id: int) -> None: ...

    def count_attempts(self, keys: Sequence[str], window_start: int) -> list[int]:
        """Count one sign-in attempt under each key in that window, atomically (one statement
        per key, one transaction); returns each window's count including this attempt."""
        ...

    def forget_attempts(self, keys: Sequence[str], window_start: int) -> None:
        """Take back one counted attempt under each key (the sign-in succeeded)."""
        ...


class SiteStore(Protocol):
    """Administration of sites (CLI and admin API)."""

    def create_site(
        self, slug: str, name: str, origins: Sequence[str], settings: dict[str, object]
    ) -> Site: ...

    def update_site(
        self, slug: str, origins: Sequence[str] | None, settings: dict[str, object] | None
    ) -> Site: ...

    def list_sites(self) -> Iterator[Site]: ...
