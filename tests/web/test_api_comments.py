"""Posting, replying, editing, deleting and reading through the API, on both databases."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import API, as_reader
from tests.helpers import post_comment as post

pytestmark = pytest.mark.in_process


def test_guest_posts_and_reads_back(http: httpx.Client) -> None:
    r = post(http, "Hello *there*", author="Ada")
    assert r.status_code == 201, r.text
    data = r.json()
    assert data["comment"]["author"] == "Ada"
    assert data["comment"]["html"] == "<p>Hello <em>there</em></p>"
    assert data["reader_token"]
    page = http.get(f"{API}/comments", params={"thread": "t1"}).json()
    assert [c["id"] for c in page["comments"]] == [data["comment"]["id"]]
    assert page["total_comments"] == 1


def test_nameless_guest_is_anonymous(http: httpx.Client) -> None:
    r = post(http, "No name given")
    assert r.json()["comment"]["author"] == "Anonymous"


def test_reply_nests_under_parent(http: httpx.Client) -> None:
    root = post(http, "root").json()["comment"]["id"]
    reply = post(http, "reply", parent=root).json()["comment"]["id"]
    page = http.get(f"{API}/comments", params={"thread": "t1"}).json()
    assert page["comments"][0]["replies"][0]["id"] == reply
    assert page["comments"][0]["replies"][0]["parent"] == root


def test_edit_within_window_keeps_revisions(http: httpx.Client) -> None:
    first = post(http, "first text").json()
    token, cid = first["reader_token"], first["comment"]["id"]
    r = http.patch(f"{API}/comments/{cid}", json={"body": "second text"}, headers=as_reader(token))
    assert r.status_code == 200, r.text
    assert r.json()["comment"]["edited_by"] == "Anonymous"
    # The history is the author's (and the moderators'): see tests/web/test_revisions_privacy.py.
    revs = http.get(f"{API}/comments/{cid}/revisions", headers=as_reader(token))
    assert [x["body"] for x in revs.json()["revisions"]] == ["first text", "second text"]


def test_edit_by_someone_else_is_forbidden(http: httpx.Client) -> None:
    cid = post(http, "mine").json()["comment"]["id"]
    other = post(http, "theirs").json()["reader_token"]
    r = http.patch(f"{API}/comments/{cid}", json={"body": "hijack"}, headers=as_reader(other))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "not-author"
    page = http.get(f"{API}/comments", params={"thread": "t1"}).json()
    assert page["comments"][-1]["html"] == "<p>mine</p>"


def test_delete_leaves_tombstone_while_replies_exist(http: httpx.Client) -> None:
    first = post(http, "parent").json()
    token, cid = first["reader_token"], first["comment"]["id"]
    post(http, "child", parent=cid)
    r = http.delete(f"{API}/comments/{cid}", headers=as_reader(token))
    assert r.status_code == 200, r.text
    page = http.get(f"{API}/comments", params={"thread": "t1"}).json()
    tomb = page["comments"][0]
    assert tomb["deleted"] is True and tomb["html"] == "" and tomb["author"] == ""
    assert tomb["replies"][0]["html"] == "<p>child</p>"
    assert page["total_comments"] == 1


def test_deleted_comment_without_replies_disappears(http: httpx.Client) -> None:
    first = post(http, "alone").json()
    http.delete(
        f"{API}/comments/{first['comment']['id']}",
        headers=as_reader(first["reader_token"]),
    )
    page = http.get(f"{API}/comments", params={"thread": "t1"}).json()
    assert page["comments"] == []


def test_counts_for_many_threads(http: httpx.Client) -> None:
    post(http, "a")
    post(http, "b")
    r = http.get(f"{API}/counts", params=[("thread", "t1"), ("thread", "none")])
    assert r.json() == {"counts": {"t1": 2, "none": 0}}
    r = http.post(f"{API}/counts", json={"threads": ["t1"]})
    assert r.json() == {"counts": {"t1": 2}}


def test_disallowed_origin_is_refused_and_nothing_written(server: LiveServer) -> None:
    with server.client(headers={"Origin": "https://evil.example"}) as evil:
        r = evil.post(f"{API}/comments", json={"thread": "t1", "body": "csrf"})
    assert r.status_code == 403
    assert r.json()["code"] == "origin-not-allowed"
    assert server.store.get_thread(1, "t1") is None


def test_cors_preflight_only_for_allowed_origins(server: LiveServer) -> None:
    with server.client() as c:
        ok = c.options(
            f"{API}/comments",
            headers={"Origin": HOST_ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        bad = c.options(
            f"{API}/comments",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == HOST_ORIGIN
    assert bad.status_code == 403
    assert "access-control-allow-origin" not in bad.headers


def test_counts_follow_new_comments(http: httpx.Client) -> None:
    post(http, "one")
    assert http.get(f"{API}/counts", params={"thread": "t1"}).json()["counts"] == {"t1": 1}
    post(http, "two")
    assert http.get(f"{API}/counts", params={"thread": "t1"}).json()["counts"] == {"t1": 2}


def test_cached_reads_follow_writes(server: LiveServer, http: httpx.Client) -> None:
    """Thread reads are cached per worker; every write must show on the next read."""
    first = post(http, "first").json()
    for path in (f"{API}/comments?thread=t1", "/embed/demo/thread?thread=t1", "/t/demo?thread=t1"):
        assert "first" in http.get(path).text
        assert "first" in http.get(path).text  # served from the cache
    post(http, "second")
    http.put(
        f"{API}/comments/{first['comment']['id']}/vote",
        json={"value": 1},
        headers=as_reader(post(http, "third").json()["reader_token"]),
    )
    for path in (f"{API}/comments?thread=t1", "/embed/demo/thread?thread=t1", "/t/demo?thread=t1"):
        text = http.get(path).text
        assert "second" in text and "third" in text
    page = http.get(f"{API}/comments", params={"thread": "t1"}).json()
    assert [c["score"] for c in page["comments"] if c["id"] == first["comment"]["id"]] == [1]
    again = http.get(f"{API}/comments", params={"thread": "t1"})
    assert (
        http.get(
            f"{API}/comments",
            params={"thread": "t1"},
            headers={"If-None-Match": again.headers["etag"]},
        ).status_code
        == 304
    )
