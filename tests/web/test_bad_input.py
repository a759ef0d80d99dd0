"""Bad input: each gets a precise 4xx problem document, and nothing is written.

Every case checks the status, the media type and the ``code`` of the RFC 9457 answer, that no
stack trace leaks, and (for writes) that the database holds exactly what it held before: the same
rows in every table and the same thread versions. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rostra.storage.tables import comments, revisions, threads, votes
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import API, READER, posted, problem
from tests.helpers import post_comment as post

# In process: the chunked body below is the app's to limit, not uvicorn's.
pytestmark = pytest.mark.in_process


# -- helpers --------------------------------------------------------------------------------
def snapshot(server: LiveServer) -> dict[str, Any]:
    """Everything a write could touch: row counts, thread versions and counts, comment bodies."""
    with server.store.engines.read.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (threads, comments, revisions, votes)
        }
        thread_rows = conn.execute(
            select(threads.c.external_id, threads.c.version, threads.c.comment_count)
        ).all()
        comment_rows = conn.execute(
            select(
                comments.c.public_id,
                comments.c.body,
                comments.c.deleted_at,
                comments.c.upvotes,
                comments.c.downvotes,
            )
        ).all()
    return {
        "counts": counts,
        "threads": sorted(tuple(r) for r in thread_rows),
        "comments": sorted(tuple(str(v) for v in r) for r in comment_rows),
    }


class Unchanged:
    """``with Unchanged(server): ...`` fails when the block changed anything in the database."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server

    def __enter__(self) -> None:
        self.before = snapshot(self.server)

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            assert snapshot(self.server) == self.before


def raw_post(http: httpx.Client, content: bytes, content_type: str = "application/json") -> Any:
    return http.post(f"{API}/comments", content=content, headers={"Content-Type": content_type})


@pytest.fixture
def seeded(http: httpx.Client) -> Iterator[tuple[str, str]]:
    """A comment in thread t1, so bad writes have something they could damage."""
    yield posted(http, "first")


# -- bodies -------------------------------------------------------------------------------
# Plain, civil sentences of our own, for a comment whose length is what a test is about.
CIVIL = (
    "Thank you for the careful report on the library budget. ",
    "The figures for 2024 were clear, and the charts helped me follow them. ",
    "Could the council also publish the minutes of the June meeting? ",
    "Several of us would like to read them before the next vote (and ask questions). ",
    "I hope the reading room stays open late on Thursdays; students rely on it. ",
)


def civil_text(length: int) -> str:
    """``length`` characters of ``CIVIL``'s sentences in turn (never ending on a space, which
    posting would strip)."""
    text = "".join(CIVIL[n % len(CIVIL)] for n in range(length // 50 + 1))[:length]
    return text[:-1] + "." if text.endswith(" ") else text


# The length limit is what the test is about, not moderation's judgement: no classifier and
# no spam signals (``civil_text`` cycles a handful of sentences, which the spam phase rightly
# reads as a wall of repeats; long prose that does not repeat itself is
# tests/moderation/test_links_spam.py's).
LENGTH_ONLY: dict[str, Any] = {
    "moderation": {"toxicity": {"enabled": False}, "spam": {"enabled": False}}
}


def test_body_longer_than_the_site_allows(server: LiveServer, http: httpx.Client) -> None:
    server.store.update_site("demo", None, LENGTH_ONLY)
    with Unchanged(server):
        body = problem(post(http, civil_text(10_001)), 422, "body-too-long")
    assert body["field"] == "body"
    # Exactly the limit is allowed, and published whole: the text is civil and the site judges
    # nothing else of it, so a 202 here would mean the length itself was held against it.
    text = civil_text(10_000)
    assert len(text) == 10_000
    answer = post(http, text)
    assert answer.status_code == 201, answer.text
    comment, token = answer.json()["comment"], answer.json()["reader_token"]
    assert comment["body"] == text
    # And stored as sent: the author reads the very same 10,000 characters back.
    stored = http.get(f"{API}/comments/{comment['id']}", headers={READER: token})
    assert stored.status_code == 200, stored.text
    assert stored.json()["body"] == text


def test_empty_body(server: LiveServer, http: httpx.Client, subtests: pytest.Subtests) -> None:
    for text in ["", "   ", "\n\t \r\n", "\u200b\u200b"]:
        with subtests.test(body=text), Unchanged(server):
            problem(post(http, text), 422, "empty-body")
    assert server.store.get_thread(1, "t1") is None


def test_request_larger_than_the_server_accepts(server: LiveServer, http: httpx.Client) -> None:
    big = ("y" * 70_000).encode()
    with Unchanged(server):
        problem(post(http, "y" * 70_000), 413, "payload-too-large")
        # Without Content-Length (chunked): the limit holds while reading the stream.
        r = http.post(
            f"{API}/comments",
            content=iter([b'{"thread": "t1", "body": "', big, b'"}']),
            headers={"Content-Type": "application/json"},
        )
        problem(r, 413, "payload-too-large")


def test_invalid_utf8(server: LiveServer, http: httpx.Client) -> None:
    with Unchanged(server):
        problem(raw_post(http, b'{"thread": "t1", "body": "caf\xe9"}'), 400, "invalid-utf8")


def test_invalid_json(server: LiveServer, http: httpx.Client, subtests: pytest.Subtests) -> None:
    for content in [
        b"{",
        b'{"thread": "t1", "body": }',
        b"",
        b"\x00",
        b'{"thread": "t1", "body": "a"} trailing',
    ]:
        with subtests.test(content=content), Unchanged(server):
            problem(raw_post(http, content), 400, "invalid-json")


def test_wrong_shapes(server: LiveServer, http: httpx.Client, subtests: pytest.Subtests) -> None:
    for payload in [
        {"thread": "t1", "body": 5},
        {"thread": "t1", "body": "x", "parent": []},
        {"thread": "t1", "body": "x", "admin": True},
        {"thread": 7, "body": "x"},
        {"body": "x"},
        {"thread": "t1", "body": None},
        {"thread": "t1", "body": "x", "url": "https://a.example/\u0000"},
        {"thread": "t1", "body": "x", "parent": "not an id!"},
        [],
        None,
        "a string",
    ]:
        with subtests.test(payload=payload), Unchanged(server):
            problem(raw_post(http, json.dumps(payload).encode()), 422, "invalid-body")


def test_wrong_media_type(
    server: LiveServer, http: httpx.Client, subtests: pytest.Subtests
) -> None:
    json_body = b'{"thread": "t1", "body": "hi"}'
    for content, content_type in [
        (b"thread=t1&body=hi", "application/x-www-form-urlencoded"),
        (json_body, "text/plain"),
        (json_body, ""),
        (json_body, "application/jsonx"),
    ]:
        with subtests.test(content_type=content_type), Unchanged(server):
            problem(raw_post(http, content, content_type), 415, "unsupported-media-type")


def test_json_with_a_charset_is_accepted(http: httpx.Client) -> None:
    r = raw_post(http, b'{"thread": "t1", "body": "hi"}', "Application/JSON; charset=utf-8")
    assert r.status_code == 201, r.text


# -- things that do not exist -------------------------------------------------------------
def test_unknown_site(server: LiveServer, http: httpx.Client) -> None:
    with Unchanged(server):
        problem(
            http.get("/api/v1/sites/nope/comments", params={"thread": "t1"}), 404, "site-not-found"
        )
        r = http.post("/api/v1/sites/nope/comments", json={"thread": "t1", "body": "x"})
        problem(r, 404, "site-not-found")
        problem(
            http.get("/api/v1/sites/nope/counts", params={"thread": "t1"}), 404, "site-not-found"
        )
        problem(http.post("/api/v1/sites/nope/readers"), 404, "site-not-found")


def test_unknown_thread(http: httpx.Client) -> None:
    problem(http.get(f"{API}/comments", params={"thread": "never"}), 404, "thread-not-found")


def test_unknown_comment(server: LiveServer, http: httpx.Client, seeded: tuple[str, str]) -> None:
    _, token = seeded
    auth = {READER: token}
    with Unchanged(server):
        for path in (f"{API}/comments/nosuchcomment", f"{API}/comments/nosuchcomment/revisions"):
            problem(http.get(path), 404, "comment-not-found")
        r = http.patch(f"{API}/comments/nosuchcomment", json={"body": "x"}, headers=auth)
        problem(r, 404, "comment-not-found")
        problem(
            http.delete(f"{API}/comments/nosuchcomment", headers=auth), 404, "comment-not-found"
        )
        r = http.put(f"{API}/comments/nosuchcomment/vote", json={"value": 1}, headers=auth)
        problem(r, 404, "comment-not-found")


def test_nul_bytes_in_names_are_not_found_not_server_errors(
    server: LiveServer, http: httpx.Client
) -> None:
    # PostgreSQL refuses NUL in text; these must stop at the edge with a precise answer.
    with Unchanged(server):
        r = http.get("/api/v1/sites/de%00mo/comments", params={"thread": "t1"})
        problem(r, 404, "site-not-found")
        problem(
            http.get("/api/v1/sites/" + "d" * 65 + "/comments?thread=t1"), 404, "site-not-found"
        )
        problem(http.get(f"{API}/comments/ab%00cd"), 404, "comment-not-found")
        problem(http.get(f"{API}/comments/ab%00cd/revisions"), 404, "comment-not-found")
        r = http.get(f"{API}/comments", params={"thread": "t1\x00"})
        problem(r, 400, "invalid-thread-id")  # a bad query parameter: the request is wrong
        problem(http.get(f"{API}/counts", params={"thread": "\x00"}), 400, "invalid-thread-id")
        problem(post(http, thread="t\x00"), 422, "invalid-thread-id")


# -- origins ------------------------------------------------------------------------------
def test_disallowed_origin(server: LiveServer, seeded: tuple[str, str]) -> None:
    cid, token = seeded
    with server.client(headers={"Origin": "https://evil.example"}) as evil, Unchanged(server):
        problem(post(evil, "csrf"), 403, "origin-not-allowed")
        r = evil.patch(f"{API}/comments/{cid}", json={"body": "csrf"}, headers={READER: token})
        problem(r, 403, "origin-not-allowed")
        problem(
            evil.delete(f"{API}/comments/{cid}", headers={READER: token}), 403, "origin-not-allowed"
        )
        problem(evil.post(f"{API}/readers"), 403, "origin-not-allowed")


def test_cross_site_browser_request_without_origin(server: LiveServer) -> None:
    with server.client() as c, Unchanged(server):
        r = c.post(
            f"{API}/comments",
            json={"thread": "t1", "body": "x"},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        problem(r, 403, "origin-not-allowed")
        # Referer stands in for a missing Origin, and is checked the same way.
        r = c.post(
            f"{API}/comments",
            json={"thread": "t1", "body": "x"},
            headers={"Referer": "https://evil.example/page"},
        )
        problem(r, 403, "origin-not-allowed")


def test_non_browser_callers_need_no_origin(server: LiveServer) -> None:
    with server.client() as c:
        r = c.post(f"{API}/comments", json={"thread": "t1", "body": "from a script"})
    assert r.status_code == 201, r.text


# -- replies ------------------------------------------------------------------------------
def test_reply_to_missing_parent_in_a_new_thread(server: LiveServer, http: httpx.Client) -> None:
    with Unchanged(server):
        problem(
            post(http, "orphan", thread="fresh", parent="nosuchparent"), 404, "parent-not-found"
        )
    # The thread that would have been created for the reply was rolled back with it.
    assert server.store.get_thread(1, "fresh") is None


def test_reply_to_deleted_parent(server: LiveServer, http: httpx.Client) -> None:
    # What a deleted parent does to a reply is the test, not the model's judgement of the
    # parent ("soon gone" is one of the short civil remarks the model holds:
    # tests/moderation/data/civil_must_publish.txt).
    server.store.update_site("demo", None, LENGTH_ONLY)
    cid, token = posted(http, "soon gone")
    assert http.delete(f"{API}/comments/{cid}", headers={READER: token}).status_code == 200
    with Unchanged(server):
        problem(post(http, "too late", parent=cid), 409, "parent-deleted")


def test_reply_with_parent_from_another_thread(
    server: LiveServer, http: httpx.Client, seeded: tuple[str, str]
) -> None:
    cid, _ = seeded
    with Unchanged(server):
        problem(post(http, "wrong thread", thread="t2", parent=cid), 404, "parent-not-found")
    assert server.store.get_thread(1, "t2") is None


def test_reply_with_parent_from_another_site(server: LiveServer, http: httpx.Client) -> None:
    server.store.create_site("other", "Other", [HOST_ORIGIN], {})
    r = http.post("/api/v1/sites/other/comments", json={"thread": "t1", "body": "elsewhere"})
    assert r.status_code == 201, r.text
    foreign = r.json()["comment"]["id"]
    with Unchanged(server):
        problem(post(http, "cross-site reply", parent=foreign), 404, "parent-not-found")


# -- editing ------------------------------------------------------------------------------
def test_edit_after_the_window(server: LiveServer, http: httpx.Client) -> None:
    # A site of its own, so no worker has its settings cached from an earlier request.
    server.store.create_site("strict", "Strict", [HOST_ORIGIN], {"edit_window_seconds": 0})
    r = http.post("/api/v1/sites/strict/comments", json={"thread": "t1", "body": "final"})
    assert r.status_code == 201, r.text
    cid, token = r.json()["comment"]["id"], r.json()["reader_token"]
    with Unchanged(server):
        r = http.patch(
            f"/api/v1/sites/strict/comments/{cid}",
            json={"body": "changed"},
            headers={READER: token},
        )
        problem(r, 403, "edit-window-closed")


def test_edit_by_someone_else(
    server: LiveServer, http: httpx.Client, seeded: tuple[str, str]
) -> None:
    cid, _ = seeded
    _, other = posted(http, "another reader")
    with Unchanged(server):
        r = http.patch(f"{API}/comments/{cid}", json={"body": "hijack"}, headers={READER: other})
        problem(r, 403, "not-author")
        problem(http.delete(f"{API}/comments/{cid}", headers={READER: other}), 403, "not-author")


def test_edit_once_replied_to(
    server: LiveServer, http: httpx.Client, seeded: tuple[str, str]
) -> None:
    cid, token = seeded
    posted(http, "a reply", parent=cid)
    with Unchanged(server):
        r = http.patch(f"{API}/comments/{cid}", json={"body": "rewrite"}, headers={READER: token})
        problem(r, 409, "edit-has-replies")


def test_edit_needs_a_token(
    server: LiveServer, http: httpx.Client, seeded: tuple[str, str]
) -> None:
    cid, _ = seeded
    with Unchanged(server):
        problem(http.patch(f"{API}/comments/{cid}", json={"body": "x"}), 401, "token-missing")


def test_edit_with_bad_body(
    server: LiveServer, http: httpx.Client, seeded: tuple[str, str]
) -> None:
    cid, token = seeded
    auth = {READER: token}
    with Unchanged(server):
        r = http.patch(f"{API}/comments/{cid}", json={"body": " "}, headers=auth)
        problem(r, 422, "empty-body")
        r = http.patch(f"{API}/comments/{cid}", json={"body": "z" * 10_001}, headers=auth)
        problem(r, 422, "body-too-long")
        r = http.patch(f"{API}/comments/{cid}", json={"body": "x", "thread": "t9"}, headers=auth)
        problem(r, 422, "invalid-body")


# -- reader tokens ------------------------------------------------------------------------
def _tamper(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


def test_forged_tokens(server: LiveServer, http: httpx.Client, seeded: tuple[str, str]) -> None:
    cid, token = seeded
    parts = token.split(".")
    # Claim another reader id while keeping the signature.
    other_reader = ".".join([parts[0], "x" * len(parts[1]), *parts[2:]])
    server.store.create_site("other", "Other", [HOST_ORIGIN], {})
    r = http.post("/api/v1/sites/other/readers")
    assert r.status_code == 201, r.text
    foreign = r.json()["token"]
    cases = [
        (_tamper(token), "token-invalid"),
        (other_reader, "token-invalid"),
        (foreign, "token-wrong-site"),
        ("not-a-token", "token-malformed"),
        ("r1.a.b.c.d.e", "token-malformed"),
        ("r2." + ".".join(parts[1:]), "token-malformed"),
        (token + "." * 200, "token-malformed"),
    ]
    with Unchanged(server):
        for bad, code in cases:
            auth = {READER: bad}
            r = http.patch(f"{API}/comments/{cid}", json={"body": "forged"}, headers=auth)
            problem(r, 401, code)
            problem(http.delete(f"{API}/comments/{cid}", headers=auth), 401, code)
            r = http.put(f"{API}/comments/{cid}/vote", json={"value": 1}, headers=auth)
            problem(r, 401, code)
            problem(post(http, "with a forged token", token=bad), 401, code)
            problem(http.get(f"{API}/me", params={"thread": "t1"}, headers=auth), 401, code)


def test_replayed_post(server: LiveServer, http: httpx.Client) -> None:
    first = post(http, "only once", nonce="n-123")
    assert first.status_code == 201, first.text
    with Unchanged(server):
        problem(post(http, "only once", nonce="n-123"), 409, "replayed")
    page = http.get(f"{API}/comments", params={"thread": "t1"}).json()
    assert [c["id"] for c in page["comments"]] == [first.json()["comment"]["id"]]
    assert page["total_comments"] == 1


# -- votes --------------------------------------------------------------------------------
def test_vote_on_own_comment(
    server: LiveServer, http: httpx.Client, seeded: tuple[str, str]
) -> None:
    cid, token = seeded
    with Unchanged(server):
        r = http.put(f"{API}/comments/{cid}/vote", json={"value": 1}, headers={READER: token})
        problem(r, 403, "own-comment")


def test_vote_on_deleted_comment(server: LiveServer, http: httpx.Client) -> None:
    cid, token = posted(http, "to be deleted")
    _, voter = posted(http, "a voter")
    assert http.delete(f"{API}/comments/{cid}", headers={READER: token}).status_code == 200
    with Unchanged(server):
        r = http.put(f"{API}/comments/{cid}/vote", json={"value": 1}, headers={READER: voter})
        problem(r, 409, "not-votable")


def test_vote_value_out_of_range(
    server: LiveServer, http: httpx.Client, seeded: tuple[str, str], subtests: pytest.Subtests
) -> None:
    cid, _ = seeded
    _, voter = posted(http, "a voter")
    for value in [2, -2, "1", None, 1.5, True]:
        with subtests.test(value=value), Unchanged(server):
            r = http.put(
                f"{API}/comments/{cid}/vote", json={"value": value}, headers={READER: voter}
            )
            problem(r, 422, "invalid-body")


def test_vote_without_token(
    server: LiveServer, http: httpx.Client, seeded: tuple[str, str]
) -> None:
    cid, _ = seeded
    with Unchanged(server):
        problem(http.put(f"{API}/comments/{cid}/vote", json={"value": 1}), 401, "token-missing")


# -- literal matching (no LIKE wildcards, quotes are data) --------------------------------
def test_wildcards_and_quotes_are_literal(server: LiveServer, http: httpx.Client) -> None:
    posted(http, "one", thread="t1")
    posted(http, "two", thread="t1")
    posted(http, "three", thread="t_x")
    for pattern in ("%", "t%", "t_", "_1", "t[1]", "*"):
        problem(http.get(f"{API}/comments", params={"thread": pattern}), 404, "thread-not-found")
    r = http.get(f"{API}/counts", params=[("thread", t) for t in ("t%", "%", "t_", "t1", "t_x")])
    assert r.json() == {"counts": {"t%": 0, "%": 0, "t_": 0, "t1": 2, "t_x": 1}}
    r = http.post(f"{API}/counts", json={"threads": ["%", "t%", "_%"]})
    assert r.json() == {"counts": {"%": 0, "t%": 0, "_%": 0}}
    # A thread whose id is itself a wildcard is one thread among others, not all of them.
    posted(http, "percent", thread="%")
    page = http.get(f"{API}/comments", params={"thread": "%"}).json()
    assert [c["html"] for c in page["comments"]] == ["<p>percent</p>"]
    assert http.get(f"{API}/counts", params=[("thread", "%"), ("thread", "t1")]).json() == {
        "counts": {"%": 1, "t1": 2}
    }
    tricky = 'it\'s "quoted"; -- DROP TABLE comments; \\ %_'
    posted(http, "quoted", thread=tricky, author=tricky)
    page = http.get(f"{API}/comments", params={"thread": tricky}).json()
    assert page["thread"]["id"] == tricky
    assert page["comments"][0]["author"] == tricky
    assert http.get(f"{API}/counts", params={"thread": tricky}).json() == {"counts": {tricky: 1}}


# -- escaping on output -------------------------------------------------------------------
def test_markup_in_name_and_body_is_escaped(http: httpx.Client) -> None:
    name = "<script>alert('n')</script>"
    body = "<script>alert('b')</script> <img src=x onerror=alert(1)> [x](javascript:alert(2))"
    r = post(http, body, thread="xss", author=name)
    assert r.status_code == 201, r.text
    for html in (
        http.get("/embed/demo/thread", params={"thread": "xss"}).text,
        http.get("/t/demo", params={"thread": "xss"}).text,
        r.json()["html"],
        r.json()["comment"]["html"],
    ):
        assert "&lt;script&gt;" in html
        assert "<script>alert" not in html
        assert not re.search(r"<[a-z][^>]*\sonerror\s*=", html, re.IGNORECASE)
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)
    # JSON carries the name as data, for the embed script to put in a text node.
    assert r.json()["comment"]["author"] == name


# -- query parameters ---------------------------------------------------------------------
def test_cursor_garbage(
    http: httpx.Client, seeded: tuple[str, str], subtests: pytest.Subtests
) -> None:
    for cursor in ["garbage!", "%%%", "A" * 65, "\u00e9", "\x00"]:
        with subtests.test(cursor=cursor):
            r = http.get(f"{API}/comments", params={"thread": "t1", "cursor": cursor})
            problem(r, 400, "invalid-cursor")
    # Well formed ("none" in base64) but naming no comment of the thread: it does not apply.
    r = http.get(f"{API}/comments", params={"thread": "t1", "cursor": "bm9uZQ"})
    problem(r, 422, "invalid-cursor")


def test_cursor_from_another_thread(http: httpx.Client) -> None:
    for i in range(3):
        posted(http, f"a{i}", thread="a")
    posted(http, "b", thread="b")
    cursor = http.get(f"{API}/comments", params={"thread": "a", "limit": 1}).json()["next_cursor"]
    assert cursor
    r = http.get(f"{API}/comments", params={"thread": "b", "cursor": cursor})
    problem(r, 422, "invalid-cursor")


def test_limit_and_sort_out_of_range(
    http: httpx.Client, seeded: tuple[str, str], subtests: pytest.Subtests
) -> None:
    for limit in ["0", "101", "abc", "-1", "1.5", "", "\uff11", "\u00b2", "1e2", "9" * 30]:
        with subtests.test(limit=limit):
            r = http.get(f"{API}/comments", params={"thread": "t1", "limit": limit})
            problem(r, 400, "invalid-limit")
    for sort in ["bogus", "NEWEST", "votes;drop", "\x00"]:
        with subtests.test(sort=sort):
            r = http.get(f"{API}/comments", params={"thread": "t1", "sort": sort})
            problem(r, 400, "invalid-sort")
    # The edges themselves are fine, and an empty sort means the default.
    for params in ({"limit": "1"}, {"limit": "100"}, {"sort": ""}, {"sort": "votes"}):
        assert http.get(f"{API}/comments", params={"thread": "t1", **params}).status_code == 200


def test_missing_thread_parameter(http: httpx.Client) -> None:
    problem(http.get(f"{API}/comments"), 400, "missing-parameter")
    problem(http.get(f"{API}/counts"), 400, "missing-parameter")
    problem(http.get(f"{API}/comments", params={"thread": "   "}), 400, "thread-missing")
    problem(http.get(f"{API}/comments", params={"thread": "x" * 501}), 400, "invalid-thread-id")


def test_too_many_threads_counted(http: httpx.Client) -> None:
    r = http.post(f"{API}/counts", json={"threads": [f"t{i}" for i in range(201)]})
    problem(r, 422, "invalid-body")
    r = http.get(f"{API}/counts", params=[("thread", f"t{i}") for i in range(201)])
    problem(r, 422, "too-many-threads")
