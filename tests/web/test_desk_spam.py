"""Spam is its own verdict in the desk (SQLite and PostgreSQL): a comment the spam check holds waits
in the pending queue marked "Held as spam" (French: "Retenu comme spam"), with the spam check
named as the one that decided; a comment held for another reason is not marked.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from rostra.domain.desk import Role
from rostra.domain.models import Author, CommentStatus
from rostra.moderation.moderator import PipelineModerator
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.moderation import SqlModerationState
from rostra.storage.tables import comments
from tests.conftest import SECRET, LiveServer
from tests.helpers import PASSWORD, desk_client, sign_in, staff_accounts

SPAM = (
    "Cheap viagra and cialis without prescription, discreet shipping. Order at medsdirect dot shop"
)
# Held by the word list, not the spam check: it must not read as spam.
LISTED = "The zorblax committee met again on Tuesday and nobody could say what it decided."


@pytest.fixture
def desk(server: LiveServer) -> dict[str, Any]:
    store = server.store
    settings = {"moderation": {"word_lists": {"suspect": {"en": ["zorblax"]}}}}
    site = store.create_site("spamdesk", "Spam desk", [], settings)
    staff_accounts(store).create("mod", PASSWORD, Role.MODERATOR, [site.id], "Moderator Mo")
    tokens = ReaderTokens(Signer(SECRET))
    moderator = PipelineModerator(SqlModerationState(store.engines), address_key=b"k" * 32)
    discussion = Discussion(store, tokens, moderator=moderator)

    def post(body: str) -> str:
        author = Author(reader_key=tokens.verify(tokens.issue(site.id), site.id).reader_key)
        request = PostRequest(thread_external_id="a-1", body=body, confirmed=True)
        return discussion.post(site, request, author).public_id

    return {"post": post}


def test_a_spam_hold_shows_as_spam_in_the_pending_queue(
    server: LiveServer, desk: dict[str, Any]
) -> None:
    spam_id = desk["post"](SPAM)
    listed_id = desk["post"](LISTED)
    with server.store.engines.read.connect() as conn:
        rows = {
            r.public_id: r
            for r in conn.execute(
                select(comments.c.public_id, comments.c.status, comments.c.moderation)
            )
        }
    assert rows[spam_id].status == CommentStatus.PENDING.value
    assert json.loads(rows[spam_id].moderation)["phase"] == "spam"
    assert rows[listed_id].status == CommentStatus.PENDING.value
    assert json.loads(rows[listed_id].moderation)["phase"] != "spam"
    with desk_client(server) as client:
        sign_in(client, "mod")
        page = client.get("/moderation/spamdesk/queue/pending").text
        items = {pid: page.split(f'id="c-{pid}"', 1)[1].split("</li>", 1)[0] for pid in rows}
        assert "Held as spam" in items[spam_id] and "sells: pharmacy" in items[spam_id]
        assert "Held as spam" not in items[listed_id]
        french = client.get("/moderation/spamdesk/queue/pending", params={"lang": "fr"}).text
        assert french.count("Retenu comme spam") == 1
