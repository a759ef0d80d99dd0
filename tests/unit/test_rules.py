"""Domain rules: validation, edit window, votes and the displayed tree."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rostra.domain import rules
from rostra.domain.errors import Conflict, Forbidden, InvalidInput
from rostra.domain.models import Author, Comment, CommentStatus, SiteSettings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = SiteSettings()


def make(
    id: int,
    parent: int | None = None,
    root: int | None = None,
    name: str = "A",
    minutes: int = 0,
    **kw: object,
) -> Comment:
    base = Comment(
        id=id,
        public_id=f"p{id}",
        thread_id=1,
        parent_id=parent,
        root_id=root,
        depth=0,
        author_name=name,
        reader_key="k1",
        account_id=None,
        body="b",
        html="<p>b</p>",
        status=CommentStatus.PUBLISHED,
        created_at=NOW + timedelta(minutes=minutes),
        edited_at=None,
        edited_by=None,
        deleted_at=None,
        upvotes=0,
        downvotes=0,
        reply_count=0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


AUTHOR = Author(reader_key="k1")
OTHER = Author(reader_key="k2")


def test_body_is_cleaned_and_limited() -> None:
    assert rules.validate_body("  hi\u200b there \r\n", SETTINGS) == "hi there"
    with pytest.raises(InvalidInput) as exc:
        rules.validate_body(" \u200b\n ", SETTINGS)
    assert exc.value.code == "empty-body"
    with pytest.raises(InvalidInput) as exc:
        rules.validate_body("x" * (SETTINGS.max_body_chars + 1), SETTINGS)
    assert exc.value.code == "body-too-long"


def test_name_defaults_to_anonymous_and_is_limited() -> None:
    assert rules.validate_name(None, SETTINGS) == "Anonymous"
    assert rules.validate_name("  \u202e ", SETTINGS) == "Anonymous"
    assert rules.validate_name(" Ada   Lovelace ", SETTINGS) == "Ada Lovelace"
    with pytest.raises(InvalidInput):
        rules.validate_name("n" * 81, SETTINGS)


def test_edit_allowed_only_to_author_in_window_without_replies() -> None:
    comment = make(1)
    rules.check_can_edit(comment, AUTHOR, SETTINGS, NOW + timedelta(minutes=14))
    with pytest.raises(Forbidden) as exc:
        rules.check_can_edit(comment, OTHER, SETTINGS, NOW)
    assert exc.value.code == "not-author"
    with pytest.raises(Forbidden) as exc:
        rules.check_can_edit(comment, AUTHOR, SETTINGS, NOW + timedelta(minutes=16))
    assert exc.value.code == "edit-window-closed"
    with pytest.raises(Conflict) as exc:
        rules.check_can_edit(replace(comment, reply_count=1), AUTHOR, SETTINGS, NOW)
    assert exc.value.code == "edit-has-replies"
    with pytest.raises(Conflict):
        rules.check_can_edit(replace(comment, deleted_at=NOW), AUTHOR, SETTINGS, NOW)


def test_anonymous_author_owns_nothing() -> None:
    comment = make(1, reader_key=None)
    assert not rules.is_author(comment, Author(reader_key=None))


def test_votes() -> None:
    comment = make(1)
    rules.check_can_vote(comment, OTHER, 1, SETTINGS)
    rules.check_can_vote(comment, OTHER, 0, SETTINGS)
    with pytest.raises(Forbidden):
        rules.check_can_vote(comment, AUTHOR, 1, SETTINGS)
    with pytest.raises(InvalidInput):
        rules.check_can_vote(comment, OTHER, 2, SETTINGS)
    with pytest.raises(Conflict):
        rules.check_can_vote(replace(comment, status=CommentStatus.PENDING), OTHER, 1, SETTINGS)
    with pytest.raises(Forbidden):
        rules.check_can_vote(comment, OTHER, -1, SiteSettings(allow_downvotes=False))


def test_tree_nests_to_display_depth_then_flattens_with_name() -> None:
    # A chain 1 <- 2 <- 3 <- 4 <- 5 with display depth 2.
    root = make(1, name="Root")
    chain = [make(i, parent=i - 1, root=1, name=f"N{i}", minutes=i) for i in range(2, 6)]
    tree = rules.build_tree([root], chain, display_depth=2)
    level1 = tree[0].replies[0]
    level2 = level1.replies[0]
    assert [level1.comment.id, level2.comment.id] == [2, 3]
    # 4 and 5 are shown flat at depth 2, beside 3, each prefixed with the parent's name.
    flat = [(n.comment.id, n.reply_to_name, n.display_depth) for n in level1.replies]
    assert flat == [(3, None, 2), (4, "N3", 2), (5, "N4", 2)]


def test_tree_keeps_replies_of_hidden_parents() -> None:
    root = make(1)
    hidden_parent_child = make(3, parent=2, root=1)
    tree = rules.build_tree([root], [hidden_parent_child], display_depth=4)
    assert tree[0].replies[0].comment.id == 3
