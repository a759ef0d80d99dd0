"""A thread's title and URL: readers cannot rewrite them; the CMS (signed) and staff can.

Issue 7, item 3: any commenter could retitle a thread and point it at a phishing page, even with
a comment that moderation rejected.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import pytest

from rostra.cli import main
from rostra.services.thread_meta import ThreadKeys
from rostra.services.tokens import Signer
from tests.conftest import HOST_ORIGIN, SECRET, LiveServer
from tests.helpers import API, QUIET, post_comment

pytestmark = pytest.mark.in_process

ARTICLE = f"{HOST_ORIGIN}/2026/12/bridge"
# Distinct texts: the duplicate check would hold repeats of one sentence.
SENTENCES = (
    "The council should publish the full repair schedule.",
    "My grandmother crossed that bridge every morning for forty years.",
    "Will the ferry run more often while the deck is closed?",
    "Cyclists were promised a separate lane last time too.",
    "Good to see the engineers' report quoted in full.",
    "How much of the budget comes from the regional fund?",
    "Night works will be hard on the houses by the river.",
    "I hope the old lamps are kept when the railings are replaced.",
)


def post(
    http: httpx.Client, status: int = 201, site: str = "demo", **fields: Any
) -> httpx.Response:
    text = SENTENCES[post.count % len(SENTENCES)]  # type: ignore[attr-defined]
    post.count += 1  # type: ignore[attr-defined]
    answer = post_comment(http, text, site=site, **fields)
    assert answer.status_code == status, answer.text
    return answer


post.count = 0  # type: ignore[attr-defined]


def thread_of(server: LiveServer, slug: str = "demo") -> tuple[str, str]:
    site = server.store.get_site(slug)
    assert site is not None
    thread = server.store.get_thread(site.id, "t1")
    assert thread is not None
    return thread.title, thread.url


def sign(server: LiveServer, url: str, title: str, slug: str = "demo") -> str:
    site = server.store.get_site(slug)
    assert site is not None
    return ThreadKeys(Signer(SECRET)).sign(site, "t1", url, title)


def test_later_comments_cannot_retitle_or_move_a_thread(
    quiet: LiveServer, http: httpx.Client
) -> None:
    post(http, url=ARTICLE, title="Bridge repairs start in May")
    assert thread_of(quiet) == ("Bridge repairs start in May", ARTICLE)
    post(http, url=f"{HOST_ORIGIN}/elsewhere", title="Paper retracts story")
    post(http, url="https://phish.example/login", title="Paper retracts story")
    assert thread_of(quiet) == ("Bridge repairs start in May", ARTICLE)
    page = http.get("/t/demo?thread=t1")
    assert "Paper retracts story" not in page.text and "phish.example" not in page.text


def test_a_first_comment_from_elsewhere_sets_neither_title_nor_url(
    quiet: LiveServer, http: httpx.Client
) -> None:
    post(http, url="https://phish.example/login", title="Paper retracts story")
    assert thread_of(quiet) == ("", "")
    assert "Paper retracts story" not in http.get("/t/demo?thread=t1").text


def test_the_cms_signature_changes_them_with_a_published_comment_only(
    quiet: LiveServer, http: httpx.Client
) -> None:
    server = quiet
    held: dict[str, object] = {"moderation": {**QUIET["moderation"], "premoderation": "all"}}
    server.store.create_site("held", "Held", [HOST_ORIGIN], held)
    post(http, 202, "held", url=ARTICLE, title="First title")
    moved = f"{HOST_ORIGIN}/2026/12/bridge-updated"
    signature = sign(server, moved, "Second title", "held")
    post(http, 202, "held", url=moved, title="Second title", signature=signature)
    assert thread_of(server, "held") == ("First title", ARTICLE), "a held comment changed it"
    post(http, url=ARTICLE, title="First title")
    forged = hmac.new(b"guess", b"t1", hashlib.sha256).hexdigest()
    post(http, url=moved, title="Forged title", signature=forged)
    assert thread_of(server) == ("First title", ARTICLE)
    post(http, url=moved, title="Second title", signature=sign(server, moved, "Second title"))
    assert thread_of(server) == ("Second title", moved)
    listed = http.get(f"{API}/comments?thread=t1").json()["thread"]
    assert (listed["title"], listed["url"]) == ("Second title", moved)


def test_staff_change_them_from_the_command_line(
    quiet: LiveServer, http: httpx.Client, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    post(http, url=ARTICLE, title="Draft headline")
    base = ["--database-url", db_url]
    assert main([*base, "thread", "update", "demo", "t1", "--title", "Final headline"]) == 0
    assert thread_of(quiet) == ("Final headline", ARTICLE)
    assert "Final headline" in http.get("/t/demo?thread=t1").text
    assert main([*base, "thread", "update", "demo", "t1", "--url", "javascript:alert(1)"]) == 2
    assert "http" in capsys.readouterr().err
    assert main([*base, "thread", "show", "demo", "nope"]) == 2
    capsys.readouterr()
    assert main([*base, "thread", "key", "demo"]) == 0
    key = capsys.readouterr().out.strip()
    assert len(key) == 64 and int(key, 16) >= 0
