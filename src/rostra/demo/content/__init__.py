"""The demo's words: an invented local news article and the discussion readers hold under it.

Everything here is fiction written for Rostra's demo: the town of Kelmouth, its twin towns
Port-Lérec (Brittany) and Hafenwerder (Lower Saxony), its councillors, readers and bridge. It is
kept as data beside this module: the article in ``harbour-bridge.md`` (TOML front matter, then
its paragraphs) and the discussion in ``discussion.toml``, read and checked by ``loader.py`` when
the demo first imports this module (never when ``rostra serve`` starts: only the demo imports it).
The seeder (``seed.py``) replays the discussion through the real service layer, and the tests
check what the demo promises (depth, edits, a tombstone, votes, three languages) against the same
source.

Times are minutes after the article was published; the seeder anchors them a few days back so
the thread always looks recent.
"""

from __future__ import annotations

from importlib.resources import files

from rostra.demo.content.loader import (
    Article,
    ContentError,
    Edit,
    Reader,
    SeedComment,
    load,
)

__all__ = [
    "ARTICLE",
    "COMMENTS",
    "EDIT_WINDOW_MINUTES",
    "IMAGE",
    "IMAGE_HEIGHT",
    "IMAGE_WIDTH",
    "READERS",
    "READER_NAMES",
    "SITE_NAME",
    "SITE_SLUG",
    "STATIC_URL",
    "THREAD_ID",
    "Article",
    "ContentError",
    "Edit",
    "Reader",
    "SeedComment",
    "first_minute",
    "problems",
    "vote_minute",
]

SITE_SLUG = "demo"
SITE_NAME = "The Harbour Courier"
# Where the demo app serves its own files (rostra.demo.app mounts rostra/demo/static there).
STATIC_URL = "/demo/static"

_FICTION = load(files(__name__), files("rostra.demo") / "static", STATIC_URL)

ARTICLE: Article = _FICTION.article
THREAD_ID = ARTICLE.slug
IMAGE = ARTICLE.image
IMAGE_WIDTH = ARTICLE.image_width
IMAGE_HEIGHT = ARTICLE.image_height

# Readers. Keys starting with "anon" are guests who leave the name field empty; "r01".."r14"
# are readers who only vote.
READERS: tuple[Reader, ...] = _FICTION.readers
COMMENTS: tuple[SeedComment, ...] = _FICTION.comments

READER_NAMES: dict[str, str | None] = {r.key: r.name for r in READERS}

# The default edit window (900 seconds); edits in the script must fall inside it.
EDIT_WINDOW_MINUTES = 15


def vote_minute(comment: SeedComment, index: int) -> int:
    """When the ``index``-th vote on ``comment`` is cast: votes trickle in after it appears."""
    return comment.minute + 9 + 7 * index


def first_minute() -> int:
    """Minutes from publication to the first comment, which is when the thread was created."""
    return min(c.minute for c in COMMENTS)


def problems() -> list[str]:
    """Every way the script breaks the discussion rules; the seeder refuses to run unless empty.

    Catching these here (and in a test) beats a half-seeded demo: the service layer would refuse
    a reply to a deleted comment, an edit after a reply, or a vote on one's own comment.
    """
    found: list[str] = []
    seen: dict[str, SeedComment] = {}
    for c in COMMENTS:
        if c.key in seen:
            found.append(f"{c.key}: duplicate key")
        if c.reader not in READER_NAMES:
            found.append(f"{c.key}: unknown reader {c.reader}")
        if c.parent is not None:
            parent = seen.get(c.parent)
            if parent is None:
                found.append(f"{c.key}: parent {c.parent} is not an earlier comment")
            elif c.minute <= parent.minute:
                found.append(f"{c.key}: posted before its parent")
            elif parent.deleted_minute is not None and c.minute >= parent.deleted_minute:
                found.append(f"{c.key}: replies to a comment already deleted")
        voters = [v for v, _ in c.votes]
        if len(set(voters)) != len(voters):
            found.append(f"{c.key}: someone votes twice")
        for voter in voters:
            if voter not in READER_NAMES:
                found.append(f"{c.key}: unknown voter {voter}")
            if voter == c.reader:
                found.append(f"{c.key}: the author votes on their own comment")
        seen[c.key] = c
    for c in COMMENTS:
        replies = [r.minute for r in COMMENTS if r.parent == c.key]
        if c.edit is not None:
            edited = c.minute + c.edit.minutes_later
            if not 0 < c.edit.minutes_later < EDIT_WINDOW_MINUTES:
                found.append(f"{c.key}: edited outside the edit window")
            if replies and edited >= min(replies):
                found.append(f"{c.key}: edited after someone replied")
        if c.deleted_minute is not None:
            last_vote = vote_minute(c, len(c.votes) - 1) if c.votes else c.minute
            if last_vote >= c.deleted_minute or c.edit is not None:
                found.append(f"{c.key}: touched after it was deleted")
    return found
