"""Rules of the discussion: who may edit or vote, how long a text may be, how trees display."""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from rostra.domain.errors import N_, Conflict, Forbidden, InvalidInput
from rostra.domain.models import Author, Comment, CommentNode, CommentStatus, SiteSettings

ANONYMOUS = "Anonymous"

# Characters that render as nothing or reorder text; a name made only of them is empty.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


# A site's slug names it in URLs (/t/<slug>, /api/v1/sites/<slug>, /moderation/<slug>); these
# would be taken for the moderation desk's own pages.
MAX_EXTERNAL_ID = 500
MAX_URL = 2000
MAX_TITLE = 500
RESERVED_SLUGS = frozenset({"staff", "login", "logout", "jobs"})
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def validate_slug(slug: str) -> str:
    """A site's slug: 1 to 64 lower-case letters, digits, dashes or underscores, not reserved."""
    if not SLUG.fullmatch(slug) or slug in RESERVED_SLUGS:
        raise InvalidInput(
            N_(
                "A site's short name is 1 to 64 lower-case letters, digits, dashes or "
                "underscores, and not staff, login or logout."
            ),
            field="slug",
            code="invalid-slug",
        )
    return slug


def clean_text(value: str) -> str:
    """Normalise to NFC and drop control and format characters except newlines and tabs."""
    value = unicodedata.normalize("NFC", value)
    return "".join(
        ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
    ).replace("\r\n", "\n")


def validate_body(body: str, settings: SiteSettings) -> str:
    """Return the cleaned body or raise when it is empty or longer than the site allows."""
    text = clean_text(body).strip()
    if not text:
        raise InvalidInput(N_("A comment cannot be empty."), field="body", code="empty-body")
    if len(text) > settings.max_body_chars:
        raise InvalidInput(
            N_("A comment can be at most %(limit)d characters long."),
            field="body",
            code="body-too-long",
            limit=settings.max_body_chars,
        )
    return text


def validate_name(name: str | None, settings: SiteSettings) -> str:
    """Return the display name, ``Anonymous`` when none is given."""
    text = " ".join(clean_text(name or "").split())
    if not text:
        return ANONYMOUS
    if len(text) > settings.max_name_chars:
        raise InvalidInput(
            N_("A name can be at most %(limit)d characters long."),
            field="author",
            code="name-too-long",
            limit=settings.max_name_chars,
        )
    return text


def is_author(comment: Comment, author: Author) -> bool:
    """True when ``author`` wrote ``comment``: same account, or same guest reader key."""
    if author.account_id is not None and comment.account_id == author.account_id:
        return True
    return author.reader_key is not None and comment.reader_key == author.reader_key


def check_can_edit(comment: Comment, author: Author, settings: SiteSettings, now: datetime) -> None:
    """Raise unless ``author`` may still edit ``comment`` (own, in window, not replied to)."""
    check_is_author(comment, author)
    if comment.is_deleted:
        raise Conflict(N_("A deleted comment cannot be edited."), code="comment-deleted")
    if comment.reply_count > 0:
        raise Conflict(
            N_("A comment cannot be edited once someone has replied to it."),
            code="edit-has-replies",
        )
    if now - comment.created_at > timedelta(seconds=settings.edit_window_seconds):
        raise Forbidden(N_("The time to edit this comment has passed."), code="edit-window-closed")


def check_is_author(comment: Comment, author: Author) -> None:
    """Raise ``Forbidden`` unless ``author`` wrote ``comment``."""
    if not is_author(comment, author):
        raise Forbidden(N_("Only the author can change this comment."), code="not-author")


def check_can_vote(comment: Comment, voter: Author, value: int, settings: SiteSettings) -> None:
    """Raise unless ``voter`` may cast ``value`` on ``comment``."""
    if value not in (-1, 0, 1):
        raise InvalidInput(N_("A vote is 1, -1 or 0."), field="value", code="invalid-vote")
    if value == -1 and not settings.allow_downvotes:
        raise Forbidden(N_("This site does not allow down votes."), code="downvotes-off")
    if comment.status is not CommentStatus.PUBLISHED or comment.is_deleted:
        raise Conflict(N_("Only published comments can be voted on."), code="not-votable")
    if is_author(comment, voter):
        raise Forbidden(N_("You cannot vote on your own comment."), code="own-comment")


def build_tree(
    roots: Iterable[Comment], replies: Iterable[Comment], display_depth: int
) -> list[CommentNode]:
    """Nest replies under their roots; past ``display_depth`` they render flat with '@name'.

    ``replies`` must be ordered oldest first. Replies whose parent is missing from the input (it
    was filtered out, e.g. pending) are attached to the nearest shown ancestor, so no published
    reply is ever lost from view.
    """
    nodes: dict[int, CommentNode] = {}
    by_id: dict[int, Comment] = {}
    result: list[CommentNode] = []
    for root in roots:
        node = CommentNode(comment=root, parent_public_id=None, display_depth=0)
        nodes[root.id] = node
        by_id[root.id] = root
        result.append(node)
    pending = list(replies)
    for reply in pending:
        by_id[reply.id] = reply
    for reply in pending:
        parent = by_id.get(reply.parent_id) if reply.parent_id is not None else None
        parent_node = nodes.get(reply.parent_id) if reply.parent_id is not None else None
        if parent_node is None:
            # Walk up until a shown ancestor; fall back to the root.
            ancestor = parent
            while ancestor is not None and ancestor.id not in nodes:
                ancestor = by_id.get(ancestor.parent_id) if ancestor.parent_id else None
            key = ancestor.id if ancestor is not None else reply.root_id
            parent_node = nodes.get(key) if key is not None else None
            if parent_node is None:
                continue
        depth = parent_node.display_depth + 1
        reply_to: str | None = None
        host = parent_node
        if depth > display_depth:
            # Flatten: hang it on the deepest allowed ancestor, prefixed with "@name".
            reply_to = parent.author_name if parent is not None else None
            while host.display_depth >= display_depth and host.parent_node is not None:
                host = host.parent_node
            depth = host.display_depth + 1
        node = CommentNode(
            comment=reply,
            parent_public_id=parent.public_id if parent is not None else None,
            reply_to_name=reply_to,
            display_depth=depth,
            parent_node=host,
        )
        host.replies.append(node)
        nodes[reply.id] = node
    return result


def check_external_id(value: str) -> str:
    """The thread id as stored: stripped, non-empty, printable and not too long."""
    text = value.strip()
    if not text:
        raise InvalidInput(N_("A thread id is required."), field="thread", code="thread-missing")
    if len(text) > MAX_EXTERNAL_ID or not text.isprintable():
        raise InvalidInput(
            N_("The thread id is not valid."), field="thread", code="invalid-thread-id"
        )
    return text


def check_url(value: str) -> str:
    """An article URL is empty or an absolute http(s) address; anything else could be a
    ``javascript:`` link on the thread page, so it is refused rather than cleaned."""
    text = value.strip()
    if not text:
        return ""
    check_length(text, MAX_URL, "url")
    # Parse as a browser would: it drops tabs and newlines anywhere and spaces at the ends.
    browser_view = "".join(ch for ch in text if ch not in "\t\n\r")
    parts = urlsplit(browser_view)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or browser_view != text:
        raise InvalidInput(
            N_("The article address must be an absolute http or https URL."),
            field="url",
            code="invalid-url",
        )
    return text


def check_length(value: str, limit: int, field: str) -> str:
    """``value`` when it has at most ``limit`` characters, else :class:`InvalidInput`."""
    if len(value) > limit:
        # ``field`` is the error's own keyword, so the message names it through ``name``.
        raise InvalidInput(
            N_("The %(name)s is too long."), field=field, code="too-long", name=field
        )
    return value


def check_title(value: str) -> str:
    """An article's title as stored and shown: cleaned text, without surrounding space."""
    return check_length(clean_text(value).strip(), MAX_TITLE, "title")


# A page cursor names the last root comment of the page before, by its public id.
def encode_cursor(public_id: str) -> str:
    return base64.urlsafe_b64encode(public_id.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> str:
    """The public id a cursor names, or ``""`` when it is not a cursor."""
    if len(cursor) > 64:
        return ""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except ValueError:
        return ""
    return text if text.replace("-", "").replace("_", "").isalnum() else ""
