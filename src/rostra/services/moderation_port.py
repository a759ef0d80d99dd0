"""The moderation seam, declared where the posting flow consumes it.

``rostra.moderation`` implements :class:`Moderator`: it sees a :class:`Draft`, answers a
:class:`Decision`, and hands back in it the :class:`ModerationMemory` it wants kept about the
comment (its fingerprint, the rate-limit counters it counts under). The services write that memory
through :meth:`rostra.services.ports.WriteTransaction.remember_moderation` in the comment's own
transaction, so a comment and what moderation remembers of it commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rostra.domain.models import Author, CommentStatus, Site


@dataclass(frozen=True, slots=True)
class Draft:
    """A comment about to be saved, as the moderation seam sees it."""

    site: Site
    body: str
    author_name: str
    author: Author
    is_reply: bool
    is_edit: bool
    thread_external_id: str = ""
    # The client's address as the web layer derived it (trusted proxies only); moderation hashes
    # it for rate limits and never stores it.
    client_ip: str | None = None
    # The comment being edited (``None`` for a new one).
    comment_id: int | None = None
    # The writer sent no reader token (one was issued for this comment): rate limits count such
    # writes per address, as the reader's own key proves nothing yet.
    new_reader: bool = False


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A text's exact hash, MinHash signature and LSH band keys (see ``phases.duplicates``).

    Only these are stored, never the text: later comments are compared with them.
    """

    exact: str
    signature: tuple[int, ...]
    bands: tuple[str, ...]
    #: How many distinct 4-grams the text has (to estimate containment).
    size: int = 0


@dataclass(frozen=True, slots=True)
class RateCount:
    """A rate-limit counter that a comment counts under once it is stored.

    ``key`` is counted in its fixed window of ``window`` seconds; the comment may make it at most
    ``limit``. Moderation read the counter below that when it decided; the comment's transaction
    counts it and checks again, so two writers racing for the last place cannot both have it.
    Counters of a later ``stage`` would only have been counted once every earlier one passed.
    """

    key: str
    window: int
    limit: int
    stage: int = 0


@dataclass(frozen=True, slots=True)
class ModerationMemory:
    """What moderation keeps about one comment, written in the comment's own transaction."""

    site_id: int
    #: The author's key (``Author.key``), to tell their own repeats from other readers'.
    author_key: str | None
    at: datetime
    #: How the comment ended, for stores that keep authors' histories apart from the comments.
    outcome: CommentStatus
    #: ``None`` when no duplicates check will read it (or the text has no words).
    fingerprint: Fingerprint | None = None
    counts: tuple[RateCount, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """What moderation decided, and what it wants stored with the comment."""

    status: CommentStatus
    language: str | None = None
    # The moderation record as JSON (verdict, phase, reason, scores); never the comment's text.
    record: str | None = None
    # A gettext message id telling the author why a comment was rejected.
    message: str | None = None
    # A hold the author may avoid by rewording (the toxicity classifier alone asked for it): they
    # are told before anything is saved, unless they already saw that and confirmed.
    nudge: bool = False
    # For the audit log when the comment is held or rejected: which check decided, and why, in
    # plain words for moderators (never the comment's text).
    reason: str | None = None
    # Kept in the comment's transaction (``None``: nothing to keep).
    memory: ModerationMemory | None = None
    # Published, and listed in the desk's "To review" queue (the record's ``review`` says why).
    review: bool = False


class Moderator(Protocol):
    """Decides the status of a new or edited comment. Moderation plugs in here.

    ``decide`` runs before the comment's transaction (it may take a while, and must not hold the
    writer lock). It only reads, except when it refuses the comment outright by raising
    ``TooManyRequests``: that attempt is counted against the rate limits at once, as nothing else
    of it is stored. Everything else it wants remembered travels in ``Decision.memory``.
    """

    def decide(self, draft: Draft) -> Decision: ...


class PublishEverything:
    """The moderator used until a site configures moderation: every comment is published."""

    def decide(self, draft: Draft) -> Decision:
        return Decision(CommentStatus.PUBLISHED)
