"""The desk's "To review" queue over real HTTP (SQLite and PostgreSQL): comments published in the
borderline band are flagged in their own posting transaction, listed with their count, and a
moderator's approve keeps one published and clears the flag, reject removes it; both audited.

The sites plug in a classifier with fixed scores (``tests.moderation.plugins.fixed``) holding from
0.5, so a comment scores 0.4, in the default band (0.30 to the hold threshold), whatever it says.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from rostra.domain.desk import Role
from rostra.domain.models import Author, CommentStatus
from rostra.moderation.moderator import PipelineModerator
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.migrate import current, downgrade, upgrade
from rostra.storage.moderation import SqlModerationState
from rostra.storage.repository import SqlStore
from rostra.storage.schema import SCHEMA_HEAD
from rostra.storage.tables import audit_log, comments, metadata
from tests.conftest import SECRET, LiveServer
from tests.helpers import PASSWORD, desk_client, sign_in, staff_accounts
from tests.moderation.plugins import fixed

BODIES = [
    "The council should have published the tram budget before the vote.",
    "Nobody asked the shop owners on Rue Neuve what the roadworks cost them.",
    "Last winter the night buses ran late every single week.",
]


def band_site(action: str | None = None) -> dict[str, Any]:
    toxicity: dict[str, Any] = {"classifier": fixed(0.4)}
    if action is not None:
        toxicity["borderline"] = {"action": action}
    return {"moderation": {"toxicity": toxicity}}


@pytest.fixture
def desk(server: LiveServer) -> dict[str, Any]:
    """A site whose comments all score 0.4, its moderator, and a way to post as one reader."""
    store = server.store
    site = store.create_site("band", "Band", [], band_site())
    staff_accounts(store).create("mod", PASSWORD, Role.MODERATOR, [site.id], "Moderator Mo")
    tokens = ReaderTokens(Signer(SECRET))
    moderator = PipelineModerator(SqlModerationState(store.engines), address_key=b"k" * 32)
    discussion = Discussion(store, tokens, moderator=moderator)
    author = Author(reader_key=tokens.verify(tokens.issue(site.id), site.id).reader_key)

    def post(body: str, slug: str = "band") -> str:
        target = store.get_site(slug)
        assert target is not None
        # ``confirmed``: a band hold is a toxicity hold, so its author saw the nudge first.
        request = PostRequest(thread_external_id="a-1", body=body, confirmed=True)
        return discussion.post(target, request, author).public_id

    return {"site": site, "discussion": discussion, "post": post, "author": author}


@pytest.fixture
def mod(server: LiveServer, desk: dict[str, Any]) -> Any:
    with desk_client(server) as client:
        client.csrf = sign_in(client, "mod")  # type: ignore[attr-defined]
        yield client


def flagged_since(server: LiveServer, public_id: str) -> Any:
    with server.store.engines.read.connect() as conn:
        return conn.execute(
            select(comments.c.review_since).where(comments.c.public_id == public_id)
        ).scalar_one()


def review_count(page: str) -> int:
    found = re.search(r'/queue/review"[^>]*>To review <span class="count">(\d+)</span>', page)
    assert found, page
    return int(found.group(1))


def decisions(server: LiveServer, public_id: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    a = audit_log.c
    with server.store.engines.read.connect() as conn:
        rows = conn.execute(
            select(a.action, a.from_status, a.to_status, a.detail)
            .where(a.comment_public_id == public_id, a.actor_id.is_not(None))
            .order_by(a.id)
        ).fetchall()
    return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


def readers_see(client: httpx.Client) -> list[str]:
    listed = client.get("/api/v1/sites/band/comments", params={"thread": "a-1"}).json()
    return [c["id"] for c in listed["comments"]]


def test_a_borderline_comment_is_published_and_waits_in_the_review_queue(
    server: LiveServer, desk: dict[str, Any], mod: httpx.Client
) -> None:
    ids = [desk["post"](body) for body in BODIES]
    for public_id in ids:
        comment = desk["discussion"].comment(desk["site"], public_id)
        assert comment.status is CommentStatus.PUBLISHED
        assert flagged_since(server, public_id) is not None  # written with the comment
    assert sorted(readers_see(mod)) == sorted(ids)  # readers see them at once
    queue = mod.get("/moderation/band/queue/review")
    assert queue.status_code == 200
    assert all(i in queue.text for i in ids) and review_count(queue.text) == 3
    assert "Published comments to review" in queue.text and "Flagged for review" in queue.text
    assert "toxicity 0.40 in the borderline band 0.30 to 0.50" in queue.text
    assert not any(i in mod.get("/moderation/band/queue/pending").text for i in ids)
    home = mod.get("/moderation/")
    assert '/moderation/band/queue/review">3</a>' in home.text and "To review" in home.text
    french = mod.get("/moderation/band/queue/review", params={"lang": "fr"}).text
    assert "Commentaires publiés à revoir" in french and "Marqué à revoir" in french
    assert re.search(r'/queue/review"[^>]*>À revoir <span class="count">3</span>', french)


def test_approve_keeps_it_published_and_clears_the_flag_once(
    server: LiveServer, desk: dict[str, Any], mod: httpx.Client
) -> None:
    first, second = desk["post"](BODIES[0]), desk["post"](BODIES[1])
    back = "/moderation/band/queue/review"
    data = {"csrf": mod.csrf, "one": f"approve:{first}", "next": back}  # type: ignore[attr-defined]
    answer = mod.post("/moderation/band/decide", data=data)
    assert answer.status_code == 303 and answer.headers["location"] == f"{back}?done=approve&n=1"
    assert desk["discussion"].comment(desk["site"], first).status is CommentStatus.PUBLISHED
    assert flagged_since(server, first) is None
    after = mod.get(answer.headers["location"])
    assert first not in after.text and second in after.text and review_count(after.text) == 1
    assert decisions(server, first) == [
        ("approve", "published", "published", {"resolved_reports": 0, "reviewed": True})
    ]
    log = mod.get("/moderation/band/audit")
    assert "Taken off the To review queue" in log.text and first in log.text
    # A replayed form changes nothing and is not audited twice.
    mod.post("/moderation/band/decide", data=data)
    assert len(decisions(server, first)) == 1
    assert sorted(readers_see(mod)) == sorted([first, second])


def test_bulk_reject_removes_them_and_audits_each(
    server: LiveServer, desk: dict[str, Any], mod: httpx.Client
) -> None:
    ids = [desk["post"](body) for body in BODIES[:2]]
    form = {"csrf": mod.csrf, "action": "reject", "ids": ids}  # type: ignore[attr-defined]
    missing = mod.post("/moderation/band/decide", data=form)
    assert missing.status_code == 422 and all(flagged_since(server, i) for i in ids)
    done = mod.post("/moderation/band/decide", data={**form, "grounds": "insult"})
    assert done.status_code == 303
    for public_id in ids:
        assert desk["discussion"].comment(desk["site"], public_id).status is CommentStatus.REJECTED
        assert flagged_since(server, public_id) is None
        assert decisions(server, public_id) == [
            ("reject", "published", "rejected", {"resolved_reports": 0, "reviewed": True})
        ]
    assert readers_see(mod) == []
    assert review_count(mod.get("/moderation/band/queue/review").text) == 0


def test_the_sites_action_decides_and_switching_the_band_off_clears_it_on_edit(
    server: LiveServer, desk: dict[str, Any], mod: httpx.Client
) -> None:
    store: SqlStore = server.store
    store.update_site("band", None, band_site("hold"))
    held = desk["post"](BODIES[0])
    assert desk["discussion"].comment(desk["site"], held).status is CommentStatus.PENDING
    assert flagged_since(server, held) is None
    store.update_site("band", None, band_site("flag"))
    flagged = desk["post"](BODIES[1])
    assert flagged_since(server, flagged) is not None
    store.update_site("band", None, band_site("publish"))
    plain = desk["post"](BODIES[2])
    assert desk["discussion"].comment(desk["site"], plain).status is CommentStatus.PUBLISHED
    assert flagged_since(server, plain) is None
    # The author edits the flagged comment: the new text is judged alone, with the band off.
    site = store.get_site("band")
    desk["discussion"].edit(site, flagged, BODIES[1] + " Ask them.", desk["author"])
    assert flagged_since(server, flagged) is None
    queue = mod.get("/moderation/band/queue/review")
    assert review_count(queue.text) == 0 and held in mod.get("/moderation/band/queue/pending").text


def test_the_review_migration_matches_the_tables_and_goes_down_and_up(store: SqlStore) -> None:
    engine = store.engines.write
    assert current(engine) == SCHEMA_HEAD and SCHEMA_HEAD >= "0009"
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    downgrade(engine, "0008")
    assert "review_since" not in {c["name"] for c in inspect(engine).get_columns("comments")}
    upgrade(engine)
    assert "review_since" in {c["name"] for c in inspect(engine).get_columns("comments")}
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
