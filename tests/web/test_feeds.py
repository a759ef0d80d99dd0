"""Atom feeds of the latest published comments, per site and per thread.

Each feed is parsed with the standard library's XML parser (so it is well-formed XML 1.0 even
with markup, CDATA terminators and control characters in what readers and importers wrote), and
holds published, undeleted comments only. SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from rostra.domain.models import CommentStatus, Site
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.tables import comments, threads
from tests.conftest import HOST_ORIGIN, SECRET, LiveServer
from tests.helpers import QUIET, reader_author

pytestmark = pytest.mark.in_process

A = "{http://www.w3.org/2005/Atom}"
ARTICLE = HOST_ORIGIN + "/2026/budget-vote"


class Newsroom:
    """A site whose comments are posted through the service, as the API would."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.site: Site = server.store.create_site("news", "The Courier", [HOST_ORIGIN], QUIET)
        self.tokens = ReaderTokens(Signer(SECRET))
        self.discussion = Discussion(server.store, self.tokens)

    def post(self, thread: str, body: str, name: str = "Ada", **extra: Any) -> str:
        author = reader_author(self.tokens, self.site.id)
        request = PostRequest(thread_external_id=thread, body=body, author_name=name, **extra)
        return self.discussion.post(self.site, request, author).public_id

    def set_status(self, public_id: str, status: CommentStatus) -> None:
        with self.server.store.write() as tx:
            comment = tx.get_comment(self.site.id, public_id)
            assert comment is not None
            tx.set_status(comment, status)


@pytest.fixture
def newsroom(server: LiveServer) -> Newsroom:
    return Newsroom(server)


def feed(http: httpx.Client, path: str, **params: str) -> tuple[httpx.Response, ET.Element]:
    answer = http.get(path, params=params) if params else http.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return answer, ET.fromstring(answer.content)


def entries(root: ET.Element) -> list[ET.Element]:
    assert root.tag == f"{A}feed"
    return root.findall(f"{A}entry")


def text(element: ET.Element, tag: str) -> str:
    found = element.find(f"{A}{tag}")
    assert found is not None and found.text is not None, tag
    return found.text


def link(element: ET.Element, rel: str = "alternate") -> str:
    for found in element.findall(f"{A}link"):
        if found.get("rel") == rel:
            return found.get("href") or ""
    raise AssertionError(f"no {rel} link")


def test_a_threads_feed_has_its_published_comments_and_nothing_else(
    server: LiveServer, http: httpx.Client, newsroom: Newsroom
) -> None:
    first = newsroom.post(
        "budget", "The vote was *close*.", url=ARTICLE, title="Budget vote tonight"
    )
    held = newsroom.post("budget", "Waiting for a moderator.")
    rejected = newsroom.post("budget", "Refused by a moderator.")
    deleted = newsroom.post("budget", "Deleted by its author.")
    latest = newsroom.post("budget", "The latest word.", name="Bea")
    newsroom.post("elsewhere", "On another article.")
    newsroom.set_status(held, CommentStatus.PENDING)
    newsroom.set_status(rejected, CommentStatus.REJECTED)
    with server.store.write() as tx:
        gone = tx.get_comment(newsroom.site.id, deleted)
        assert gone is not None
        tx.mark_deleted(gone, gone.created_at)

    answer, root = feed(http, "/feeds/news/thread.atom", thread="budget")
    found = entries(root)
    # Newest first, the published ones of this thread only.
    assert [link(e).rsplit("#c-", 1)[1] for e in found] == [latest, first]
    assert "Waiting" not in answer.text and "Refused" not in answer.text
    assert "Deleted by" not in answer.text and "another article" not in answer.text

    assert text(root, "title") == "Comments on “Budget vote tonight”"
    assert text(root, "id") == link(root, "self")
    assert link(root, "self") == f"{server.url}/feeds/news/thread.atom?thread=budget"
    assert link(root) == ARTICLE
    newest = found[0]
    assert text(newest.find(f"{A}author"), "name") == "Bea"  # type: ignore[arg-type]
    assert text(newest, "title") == "Bea on “Budget vote tonight”"
    assert link(newest) == f"{ARTICLE}#c-{latest}"
    assert text(newest, "id") == f"{server.url}/api/v1/sites/news/comments/{latest}"
    assert text(root, "updated") == text(newest, "updated")
    content = found[1].find(f"{A}content")
    assert content is not None and content.get("type") == "html"
    assert "<em>close</em>" in (content.text or "")


def test_markup_cdata_ends_and_control_characters_cannot_break_the_xml(
    server: LiveServer, http: httpx.Client, newsroom: Newsroom
) -> None:
    public_id = newsroom.post(
        "t1", "Try this: ]]> <script>alert(1)</script> & <b>bold</b> ]]&gt;", name="<Eve>"
    )
    # What an importer might have stored: control characters XML 1.0 cannot carry at all.
    with server.store.engines.write.begin() as conn:
        conn.execute(
            update(comments)
            .where(comments.c.public_id == public_id)
            .values(author_name="Eve\x01\x0b", html="<p>bell\x07 ]]> done\x1f</p>")
        )
        conn.execute(update(threads).values(title="Title\x08 with ]]> and <i>"))
    answer, root = feed(http, "/feeds/news/thread.atom", thread="t1")
    assert b"\x01" not in answer.content and b"\x07" not in answer.content
    (entry,) = entries(root)
    assert text(entry.find(f"{A}author"), "name") == "Eve"  # type: ignore[arg-type]
    assert text(entry, "content") == "<p>bell ]]> done</p>"
    assert text(root, "title") == "Comments on “Title with ]]> and <i>”"
    # The markup readers wrote is escaped in the XML and sanitised in the HTML it carries.
    newsroom.post("t2", "Try this: ]]> <script>alert(1)</script> & <b>bold</b>")
    answer, root = feed(http, "/feeds/news/thread.atom", thread="t2")
    assert "<script" not in answer.text
    html = text(entries(root)[0], "content")
    assert "<script" not in html and "&lt;script&gt;" in html and "]]&gt;" in html


def test_the_site_feed_has_the_latest_fifty_of_every_thread(
    server: LiveServer, http: httpx.Client, newsroom: Newsroom
) -> None:
    ids = [newsroom.post(f"article-{n % 3}", f"Comment number {n}.") for n in range(53)]
    held = newsroom.post("article-0", "Held for review.")
    newsroom.set_status(held, CommentStatus.PENDING)
    answer, root = feed(http, "/feeds/news.atom")
    found = entries(root)
    assert len(found) == 50
    assert [link(e).rsplit("#c-", 1)[1] for e in found] == ids[::-1][:50]
    assert "Held for review" not in answer.text
    assert text(root, "title") == "Comments on The Courier"
    assert link(root, "self") == f"{server.url}/feeds/news.atom"
    # A thread without an article address links to Rostra's own thread page.
    assert link(found[0]).startswith(f"{server.url}/t/news?thread=article-")


def test_feeds_are_cached_a_minute_and_answer_304_when_unchanged(
    http: httpx.Client, newsroom: Newsroom
) -> None:
    newsroom.post("t1", "A first comment.")
    answer, _ = feed(http, "/feeds/news/thread.atom", thread="t1")
    assert answer.headers["cache-control"] == "public, max-age=60"
    etag = answer.headers["etag"]
    again = http.get(
        "/feeds/news/thread.atom", params={"thread": "t1"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    newsroom.post("t1", "A second comment.")
    changed = http.get(
        "/feeds/news/thread.atom", params={"thread": "t1"}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_an_empty_feed_is_still_valid_and_bad_requests_are_precise(
    http: httpx.Client, newsroom: Newsroom
) -> None:
    _, root = feed(http, "/feeds/news.atom")
    assert entries(root) == [] and text(root, "updated").startswith("1970-")
    problems = [
        (http.get("/feeds/news/thread.atom"), 400, "missing-parameter"),
        (http.get("/feeds/news/thread.atom", params={"thread": "nope"}), 404, "thread-not-found"),
        (
            http.get("/feeds/news/thread.atom", params={"thread": "a\x00b"}),
            400,
            "invalid-thread-id",
        ),
        (http.get("/feeds/nosuchsite.atom"), 404, "site-not-found"),
    ]
    for answer, status, code in problems:
        assert answer.status_code == status, answer.text
        assert code in answer.text


def test_the_thread_page_announces_its_feed(
    server: LiveServer, http: httpx.Client, newsroom: Newsroom
) -> None:
    newsroom.post("budget", "Hello.", url=ARTICLE, title="Budget vote tonight")
    page = http.get("/t/news", params={"thread": "budget"})
    assert page.status_code == 200
    head = page.text.split("</head>", 1)[0]
    found = re.search(r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)"', head)
    assert found is not None, head
    href = unescape(found.group(1))
    assert href == f"{server.url}/feeds/news/thread.atom?thread=budget"
    _, root = feed(http, href.removeprefix(server.url))
    assert len(entries(root)) == 1
