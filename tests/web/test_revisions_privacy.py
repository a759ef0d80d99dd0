"""A comment's edit history is private by default: its author and the site's staff may read it.

What an author edited out of a comment stays out of sight for everyone else, unless the site
turns on ``public_revisions``. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rostra.domain.desk import Role
from rostra.services.staff import StaffAccounts
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import (
    PASSWORD,
    QUIET,
    as_reader,
    new_reader,
    post_comment,
    problem,
    signed_in,
    staff_accounts,
)

pytestmark = pytest.mark.in_process


def edited_comment(http: httpx.Client, site: str = "news") -> tuple[str, str]:
    """A comment whose author took a sentence out; returns (comment id, the author's token)."""
    first = post_comment(http, "My phone number is in this one.", site=site)
    assert first.status_code == 201, first.text
    token, cid = first.json()["reader_token"], first.json()["comment"]["id"]
    edited = http.patch(
        f"/api/v1/sites/{site}/comments/{cid}",
        json={"body": "Nothing private."},
        headers=as_reader(token),
    )
    assert edited.status_code == 200, edited.text
    return cid, token


@pytest.fixture
def staff(server: LiveServer) -> StaffAccounts:
    accounts = staff_accounts(server.store)
    news = server.store.create_site("news", "News", [HOST_ORIGIN], QUIET)
    other = server.store.create_site("other", "Other", [HOST_ORIGIN], QUIET)
    accounts.create("news-mod", PASSWORD, Role.MODERATOR, [news.id])
    accounts.create("other-mod", PASSWORD, Role.MODERATOR, [other.id])
    return accounts


def bodies(answer: httpx.Response) -> list[Any]:
    assert answer.status_code == 200, answer.text
    return [r["body"] for r in answer.json()["revisions"]]


def test_only_the_author_and_the_sites_staff_read_the_history(
    server: LiveServer, http: httpx.Client, staff: StaffAccounts
) -> None:
    cid, token = edited_comment(http)
    path = f"/api/v1/sites/news/comments/{cid}/revisions"
    history = ["My phone number is in this one.", "Nothing private."]

    anyone = http.get(path)
    problem(anyone, 403, "revisions-private")
    assert "phone" not in anyone.text

    another = new_reader(http, "news")
    assert http.get(path, headers=as_reader(another)).status_code == 403

    mine = http.get(path, headers=as_reader(token))
    assert bodies(mine) == history
    assert "no-store" in mine.headers["cache-control"]
    assert "X-Rostra-Reader" in mine.headers["vary"]

    with signed_in(server, "news-mod") as moderator:
        assert bodies(moderator.get(path)) == history
    with signed_in(server, "other-mod") as outsider:
        problem(outsider.get(path), 403, "revisions-private")


def test_a_site_may_make_histories_public(server: LiveServer, http: httpx.Client) -> None:
    server.store.create_site("open", "Open", [HOST_ORIGIN], {**QUIET, "public_revisions": True})
    cid, _token = edited_comment(http, "open")
    answer = http.get(f"/api/v1/sites/open/comments/{cid}/revisions")
    assert bodies(answer) == ["My phone number is in this one.", "Nothing private."]


def test_the_api_description_names_the_refusal(http: httpx.Client) -> None:
    document = http.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/sites/{site}/comments/{comment}/revisions"]["get"]
    assert "403" in operation["responses"] and "revisions-private" in operation["description"]
