"""The no-JavaScript pages: strict form parsing, framing, and the way back to the article.

Issue 7, items 9 (invalid UTF-8, framing) and 14 (after posting, back to the article).
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import HOST_ORIGIN, LiveServer

pytestmark = pytest.mark.in_process

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ARTICLE = f"{HOST_ORIGIN}/2026/12/the-bridge"


def count(server: LiveServer) -> int:
    site = server.store.get_site("demo")
    assert site is not None
    thread = server.store.get_thread(site.id, "t1")
    return 0 if thread is None else thread.comment_count


def test_a_form_that_is_not_utf8_is_refused_and_nothing_is_stored(
    quiet: LiveServer, http: httpx.Client
) -> None:
    for body in (b"thread=t1&body=caf%E9+au+lait", b"thread=t1&body=caf\xe9"):
        answer = http.post("/t/demo/post", content=body, headers=FORM)
        assert answer.status_code == 400, answer.text
        assert "UTF-8" in answer.text and "text/html" in answer.headers["content-type"]
    assert count(quiet) == 0
    as_multipart = http.post("/t/demo/post", files={"body": ("a", b"x")}, data={"thread": "t1"})
    assert as_multipart.status_code == 415
    fine = http.post("/t/demo/post", content=b"thread=t1&body=caf%C3%A9", headers=FORM)
    assert fine.status_code == 303 and count(quiet) == 1


def test_thread_pages_may_be_framed_only_by_the_sites_own_pages(
    quiet: LiveServer, http: httpx.Client
) -> None:
    http.post("/api/v1/sites/demo/comments", json={"thread": "t1", "body": "Framed or not?"})
    for path in ("/t/demo?thread=t1", "/embed/demo/thread?thread=t1", "/t/demo?thread=t1"):
        policy = http.get(path).headers["content-security-policy"]
        assert policy == f"frame-ancestors 'self' {HOST_ORIGIN}", path
    error_page = http.post("/t/demo/post", data={"thread": "t1", "body": ""})
    assert "frame-ancestors 'self'" in error_page.headers["content-security-policy"]


def test_after_posting_from_the_article_the_reader_returns_to_it(
    quiet: LiveServer, http: httpx.Client
) -> None:
    http.post(
        "/api/v1/sites/demo/comments",
        json={"thread": "t1", "body": "First, from the embed.", "url": ARTICLE},
    )
    answer = http.post("/t/demo/post", data={"thread": "t1", "body": "And one without script."})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(ARTICLE + "#c-")
    # From Rostra's own thread page, the reader stays on it.
    own = quiet.url
    answer = http.post(
        "/t/demo/post", data={"thread": "t1", "body": "From the page."}, headers={"Origin": own}
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/t/demo?")


def test_a_vote_other_than_up_down_or_none_is_refused_and_counts_nothing(
    quiet: LiveServer, http: httpx.Client
) -> None:
    posted = http.post("/api/v1/sites/demo/comments", json={"thread": "t1", "body": "Vote me."})
    comment = posted.json()["comment"]["id"]
    for value in ("7", "+1", "1.0", "", "-0"):
        answer = http.post("/t/demo/vote", data={"comment": comment, "value": value})
        assert answer.status_code == 422, (value, answer.text)
        assert "text/html" in answer.headers["content-type"]
        assert "A vote is 1, -1 or 0." in answer.text
    read = http.get("/api/v1/sites/demo/comments", params={"thread": "t1"}).json()
    assert [(c["upvotes"], c["downvotes"]) for c in read["comments"]] == [(0, 0)]
    assert http.post("/t/demo/vote", data={"comment": comment, "value": "1"}).status_code == 303
    read = http.get("/api/v1/sites/demo/comments", params={"thread": "t1"}).json()
    assert [(c["upvotes"], c["downvotes"]) for c in read["comments"]] == [(1, 0)]
