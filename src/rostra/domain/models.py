"""Plain data the rest of Rostra talks about: sites, threads, comments, votes, revisions."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from rostra.domain.errors import N_


class CommentStatus(enum.StrEnum):
    """Where a comment stands. Only ``published`` comments are shown to readers."""

    PUBLISHED = "published"
    PENDING = "pending"
    REJECTED = "rejected"
    SPAM = "spam"


class SortOrder(enum.StrEnum):
    """How root comments of a thread are ordered. Replies are always oldest first."""

    NEWEST = "newest"
    OLDEST = "oldest"
    VOTES = "votes"


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """Per-site behaviour. Every field has a safe default so a new site works at once."""

    display_depth: int = 4
    edit_window_seconds: int = 900
    page_size: int = 20
    max_body_chars: int = 10_000
    max_name_chars: int = 80
    allow_guests: bool = True
    allow_downvotes: bool = True
    auto_create_threads: bool = True
    default_language: str = "en"
    # Whether anyone may read a comment's earlier versions (``/revisions``); by default only
    # staff and the comment's author may, since an author may have edited something out.
    public_revisions: bool = False
    # Whether this site's webhook endpoints may be on private, loopback, link-local or reserved
    # addresses (SSRF; rostra.services.webhooks). The server's webhook_allow_private_addresses
    # allows them for every site.
    webhook_allow_private_addresses: bool = False
    # The moderation policy (see rostra.moderation.policy); empty: the default policy. Left out
    # of the hash so settings stay hashable.
    moderation: dict[str, object] = field(default_factory=dict, hash=False)
    # Donations (rostra.domain.donation_settings): the Stripe keys (secrets: never shown),
    # presets and minimum of a gift. Left out of the hash, as moderation is.
    funding: dict[str, object] = field(default_factory=dict, hash=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> SiteSettings:
        """Settings from stored JSON, leniently: what is stored must always load.

        An unknown key, or a value of the wrong kind or out of range, is ignored and the default
        applies. Operators' writes are checked strictly instead (``rostra.domain.site_settings``),
        so such values only come from older versions or hand edits.
        """
        values = {k: v for k, v in data.items() if setting_problem(k, v) is None}
        return cls(**values)  # type: ignore[arg-type]


#: Inclusive bounds of the whole-number site settings (documented in docs/sites.md).
SETTING_RANGES: dict[str, tuple[int, int]] = {
    "display_depth": (1, 10),
    "edit_window_seconds": (0, 7 * 24 * 3600),  # 0: comments cannot be edited
    "page_size": (1, 200),
    "max_body_chars": (1, 100_000),
    "max_name_chars": (1, 200),  # the width of comments.author_name
}
# A BCP 47 language tag as short as the comments.language column (8 characters): en, pt-BR.
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?")


def setting_problem(name: str, value: object) -> tuple[str, dict[str, object]] | None:
    """Why ``value`` cannot be the site setting ``name`` (a message id and its parameters).

    The kind of each setting is the kind of its default in :class:`SiteSettings`.
    """
    found = SiteSettings.__dataclass_fields__.get(name)
    if found is None:
        return N_("%(key)s is not a site setting."), {"key": name}
    default = getattr(_DEFAULTS, name)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            return N_("The site setting %(key)s must be true or false."), {"key": name}
    elif isinstance(default, int):
        low, high = SETTING_RANGES[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return (
                N_("The site setting %(key)s must be a whole number from %(low)s to %(high)s."),
                {"key": name, "low": low, "high": high},
            )
    elif name == "default_language":
        if not isinstance(value, str) or not _LANGUAGE_TAG.fullmatch(value):
            return (
                N_("The site setting %(key)s must be a language code such as en or pt-BR."),
                {"key": name},
            )
    elif not isinstance(value, dict):
        return N_("The site setting %(key)s must be a JSON object."), {"key": name}
    return None


_DEFAULTS = SiteSettings()


@dataclass(frozen=True, slots=True)
class Site:
    """A tenant: one newsroom's website."""

    id: int
    slug: str
    name: str
    allowed_origins: tuple[str, ...]
    settings: SiteSettings = field(default_factory=SiteSettings)

    def allows_origin(self, origin: str) -> bool:
        """True when ``origin`` (scheme://host[:port]) may embed and write to this site."""
        return origin.rstrip("/").lower() in self.allowed_origins


@dataclass(frozen=True, slots=True)
class Thread:
    """The discussion under one article, keyed by the CMS's own id for it."""

    id: int
    site_id: int
    external_id: str
    url: str
    title: str
    comment_count: int
    version: int
    created_at: datetime
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote or acts: a guest proven by a reader key, or (later) an account."""

    reader_key: str | None
    account_id: int | None = None
    display_name: str = ""

    @property
    def is_known(self) -> bool:
        return self.reader_key is not None or self.account_id is not None

    @property
    def key(self) -> str | None:
        """The one key this author's votes, reports and moderation history are counted under:
        the reader key, else ``a:<account id>``; ``None`` for an author nobody can name."""
        if self.reader_key is not None:
            return self.reader_key
        if self.account_id is not None:
            return f"a:{self.account_id}"
        return None


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as stored. ``body`` is the author's Markdown; HTML is derived on output."""

    id: int
    public_id: str
    thread_id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    author_name: str
    reader_key: str | None
    account_id: int | None
    body: str
    html: str
    status: CommentStatus
    created_at: datetime
    edited_at: datetime | None
    edited_by: str | None
    deleted_at: datetime | None
    upvotes: int
    downvotes: int
    reply_count: int
    language: str | None = None

    @property
    def score(self) -> int:
        return self.upvotes - self.downvotes

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class Revision:
    """An earlier version of a comment's text, kept on every edit."""

    number: int
    body: str
    created_at: datetime
    editor_name: str


@dataclass(slots=True)
class CommentNode:
    """A comment placed in a displayed tree: its replies and, past the display depth, '@name'."""

    comment: Comment
    parent_public_id: str | None
    replies: list[CommentNode] = field(default_factory=list)
    reply_to_name: str | None = None
    display_depth: int = 0
    parent_node: CommentNode | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """One page of root comments with all their replies, ready to render."""

    thread: Thread | None
    sort: SortOrder
    roots: list[CommentNode]
    next_cursor: str | None
    total_roots: int
    total_comments: int


@dataclass(frozen=True, slots=True)
class VoteResult:
    """The tally after a vote, and the voter's own vote (-1, 0 or 1)."""

    public_id: str
    upvotes: int
    downvotes: int
    my_vote: int

    @property
    def score(self) -> int:
        return self.upvotes - self.downvotes
