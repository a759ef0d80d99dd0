"""Helpers for the moderation tests (and the web tests of moderation): a submission factory, the
corpus of distinct comments, texts the shipped classifier publishes or holds, and the JSON API
calls that post them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from rostra.moderation.record import Submission

HERE = Path(__file__).parent
REPO = HERE.parents[1]
NOW = datetime(2026, 11, 26, 12, 0, 30, tzinfo=UTC)

CIVIL = "Thank you for explaining how the new recycling collection days will work."
TOXIC = "You are a worthless moron and everyone here laughs at you."
VERY_TOXIC = "Shut up, you stupid idiot, nobody cares about your pathetic opinion."


def submission(
    body: str,
    author: str | None = "reader-1",
    *,
    now: datetime = NOW,
    site_id: int = 1,
    thread: str = "t1",
    client: str | None = None,
    is_edit: bool = False,
    comment_id: int | None = None,
) -> Submission:
    return Submission(
        site_id=site_id,
        site_slug="news",
        body=body,
        now=now,
        author_key=author,
        client_key=client,
        thread=thread,
        is_edit=is_edit,
        comment_id=comment_id,
    )


def corpus() -> list[str]:
    """Distinct comments in our own words: the project's written news comments (six languages)
    and comments by many readers on the same few articles (shared vocabulary, different texts)."""
    texts = []
    written = REPO / "training" / "data" / "news_comments_written.jsonl"
    with written.open(encoding="utf-8") as fh:
        texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    same_topic = (HERE / "data" / "same_topic.txt").read_text(encoding="utf-8")
    texts.extend(
        line for line in same_topic.splitlines() if line.strip() and not line.startswith("#")
    )
    assert len(set(texts)) == len(texts)
    return texts
