"""A thread's title and article address at the moderators' desk (SQLite and PostgreSQL): admins
change them, and readers' pages follow; moderators see them; bad addresses, forged forms and
other sites' staff change nothing; every change is in the audit log.

Issue 7, item 3: after its first comment, only staff (desk, CLI) or the CMS's signature may
change a thread's title and URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rostra.domain.desk import DeskAction, Role
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.tables import audit_log
from tests.conftest import HOST_ORIGIN, SECRET, LiveServer
from tests.helpers import PASSWORD, QUIET, desk_client, reader_author, sign_in, staff_accounts

pytestmark = pytest.mark.in_process

ARTICLE = f"{HOST_ORIGIN}/2026/12/bridge"
MOVED = "https://news.example/2026/12/bridge-repairs"
# A CMS's own id: slashes, dots, a query and a fragment, all of which the desk must carry.
THREAD = "news/2026/../12/bridge?x=1&y=2#top"


@pytest.fixture
def newsroom(server: LiveServer) -> dict[str, Any]:
    """Two sites with a thread each; an admin, a moderator of each site."""
    store = server.store
    mine = store.create_site("mine", "Mine", [HOST_ORIGIN], QUIET)
    theirs = store.create_site("theirs", "Theirs", [HOST_ORIGIN], QUIET)
    accounts = staff_accounts(store)
    accounts.create("boss", PASSWORD, Role.ADMIN, [], "Chief Editor")
    accounts.create("mod", PASSWORD, Role.MODERATOR, [mine.id], "Moderator Mo")
    accounts.create("other", PASSWORD, Role.MODERATOR, [theirs.id], "Other Moderator")
    tokens = ReaderTokens(Signer(SECRET))
    discussion = Discussion(store, tokens)

    def post(site: Any, thread: str, body: str) -> str:
        request = PostRequest(thread, body, url=ARTICLE, title="Bridge repairs start in May")
        return discussion.post(site, request, reader_author(tokens, site.id)).public_id

    return {
        "mine": mine,
        "comment": post(mine, THREAD, "The council should publish the repair schedule."),
        "their_comment": post(theirs, "t-1", "Will the ferry run more often?"),
    }


@pytest.fixture
def browser_like(server: LiveServer) -> Iterator[httpx.Client]:
    """A client that sends what a browser sends from our own pages: the Origin header."""
    with desk_client(server) as client:
        yield client


def stored(server: LiveServer, site: str = "mine", thread: str = THREAD) -> tuple[str, str]:
    found = server.store.get_site(site)
    assert found is not None
    row = server.store.get_thread(found.id, thread)
    assert row is not None
    return row.title, row.url


def thread_changes(server: LiveServer) -> int:
    with server.store.engines.read.connect() as conn:
        query = select(func.count()).where(audit_log.c.action == DeskAction.EDIT_THREAD.value)
        return int(conn.execute(query).scalar() or 0)


def change(client: httpx.Client, csrf: str | None, site: str = "mine", **fields: str) -> Any:
    data = {"thread": THREAD, **fields}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post(f"/moderation/{site}/thread", data=data)


def assert_unchanged(server: LiveServer, before: tuple[str, str]) -> None:
    """Nothing about the thread was written, and nothing was audited."""
    assert stored(server) == before
    assert thread_changes(server) == 0


def test_an_admin_changes_title_and_address_and_the_thread_page_follows(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss")
    case = browser_like.get(f"/moderation/mine/comments/{newsroom['comment']}")
    link = re.search(r'href="(/moderation/mine/thread\?thread=[^"]+)"', case.text)
    assert link and "Edit the thread&#39;s title and address" in case.text
    shown = browser_like.get(unescape(link.group(1)))
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    assert unescape(THREAD) in unescape(shown.text)
    assert "Bridge repairs start in May" in shown.text
    assert f'<a href="{ARTICLE}" rel="noopener noreferrer">' in shown.text
    answer = change(browser_like, csrf, title="Bridge repairs start in June", url=MOVED)
    assert answer.status_code == 303
    after = browser_like.get(answer.headers["location"])
    assert after.status_code == 200 and "Saved." in after.text
    assert "Bridge repairs start in June" in after.text and MOVED in after.text
    assert stored(server) == ("Bridge repairs start in June", MOVED)
    page = browser_like.get("/t/mine", params={"thread": THREAD})
    assert page.status_code == 200
    assert "Bridge repairs start in June" in page.text
    assert re.search(rf'<a href="{re.escape(MOVED)}">Read the article</a>', page.text)
    audit = browser_like.get("/moderation/mine/audit")
    assert "Thread title or address changed" in audit.text and "Chief Editor" in audit.text
    words = unescape(audit.text)
    assert "“Bridge repairs start in May” → “Bridge repairs start in June”" in words
    assert f"“{ARTICLE}” → “{MOVED}”" in words and THREAD in words
    # The same form again changes nothing, and is not audited twice.
    again = change(browser_like, csrf, title="Bridge repairs start in June", url=MOVED)
    assert again.status_code == 303
    assert thread_changes(server) == 1


def test_an_address_that_is_not_http_or_https_is_refused_and_nothing_changes(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss")
    before = stored(server)
    for bad in [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://news.example/bridge",
        "https://",
        "//news.example/bridge",
    ]:
        answer = change(browser_like, csrf, title="Hijacked", url=bad)
        assert answer.status_code == 422, bad
        assert 'data-code="invalid-url"' in answer.text
        assert "absolute http or https URL" in answer.text
        assert 'name="title"' in answer.text  # the form again, to correct
    long_title = change(browser_like, csrf, title="x" * 501, url=MOVED)
    assert long_title.status_code == 422 and 'data-code="too-long"' in long_title.text
    assert_unchanged(server, before)


def test_forms_without_the_csrf_token_or_from_another_origin_change_nothing(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss")
    before = stored(server)
    for forged in [None, "", "0" * 64, csrf[:-1] + ("0" if csrf[-1] != "0" else "1")]:
        answer = change(browser_like, forged, title="Forged", url=MOVED)
        assert answer.status_code == 403 and "csrf-failed" in answer.text
    cross = browser_like.post(
        "/moderation/mine/thread",
        data={"csrf": csrf, "thread": THREAD, "title": "Forged", "url": MOVED},
        headers={"Origin": "https://attacker.example"},
    )
    assert cross.status_code == 403 and "cross-site" in cross.text
    fetch = browser_like.post(
        "/moderation/mine/thread",
        data={"csrf": csrf, "thread": THREAD, "title": "Forged", "url": MOVED},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": ""},
    )
    assert fetch.status_code == 403
    assert_unchanged(server, before)


def test_staff_of_another_site_and_moderators_change_nothing(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    before = stored(server)
    csrf = sign_in(browser_like, "other")
    looked = browser_like.get("/moderation/mine/thread", params={"thread": THREAD})
    assert looked.status_code == 403 and "not-your-site" in looked.text
    assert "Bridge repairs" not in looked.text
    answer = change(browser_like, csrf, title="Theirs now", url=MOVED)
    assert answer.status_code == 403 and "not-your-site" in answer.text
    browser_like.post("/moderation/logout", data={"csrf": csrf})
    # The site's own moderator sees the title and address, but changing them is an admin's.
    csrf = sign_in(browser_like, "mod")
    case = browser_like.get(f"/moderation/mine/comments/{newsroom['comment']}")
    assert "The thread&#39;s title and address" in case.text
    shown = browser_like.get("/moderation/mine/thread", params={"thread": THREAD})
    assert shown.status_code == 200 and "Bridge repairs start in May" in shown.text
    assert 'name="title"' not in shown.text and "Only an admin can change" in shown.text
    answer = change(browser_like, csrf, title="Moderated title", url=MOVED)
    assert answer.status_code == 403 and "not-thread-editor" in answer.text
    assert_unchanged(server, before)


def test_an_unknown_thread_or_site_is_a_readable_not_found_page(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss")
    missing = browser_like.get("/moderation/mine/thread", params={"thread": "no-such-article"})
    assert missing.status_code == 404
    assert "thread-not-found" in missing.text and "This thread does not exist." in missing.text
    posted = browser_like.post(
        "/moderation/mine/thread",
        data={"csrf": csrf, "thread": "no-such-article", "title": "New", "url": MOVED},
    )
    assert posted.status_code == 404 and "thread-not-found" in posted.text
    # A thread of another site is not found here, even by an admin.
    elsewhere = browser_like.get("/moderation/mine/thread", params={"thread": "t-1"})
    assert elsewhere.status_code == 404
    nowhere = browser_like.get("/moderation/nowhere/thread", params={"thread": THREAD})
    assert nowhere.status_code == 404 and "site-not-found" in nowhere.text
    odd = browser_like.get("/moderation/mine/thread", params={"thread": "x" * 501})
    assert odd.status_code == 422 and "invalid-thread-id" in odd.text
    assert thread_changes(server) == 0


def test_html_in_a_title_is_shown_as_text(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "boss")
    title = '<script>alert(1)</script><img src=x onerror="alert(2)"> & more'
    answer = change(browser_like, csrf, title=title, url=MOVED)
    assert answer.status_code == 303
    assert stored(server)[0] == title
    for address in [
        answer.headers["location"],
        f"/moderation/mine/comments/{newsroom['comment']}",
        "/moderation/mine/audit",
    ]:
        shown = browser_like.get(address)
        assert "<script>alert(1)" not in shown.text and "<img src=x" not in shown.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text, address
    page = browser_like.get("/t/mine", params={"thread": THREAD})
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text


def test_the_desk_home_finds_a_thread_by_its_id(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    sign_in(browser_like, "mod")
    home = browser_like.get("/moderation/")
    forms = re.findall(r'<form method="get" action="([^"]+)"', home.text)
    assert forms == ["/moderation/mine/thread"]  # only the sites this moderator may open
    found = browser_like.get(forms[0], params={"thread": THREAD})
    assert found.status_code == 200 and "Bridge repairs start in May" in found.text
    # Without an id (a sign-in on the way keeps only the path) the page asks for one.
    ask = browser_like.get(forms[0])
    assert ask.status_code == 200 and 'name="thread"' in ask.text
    with server.client() as stranger:
        signed_out = stranger.get("/moderation/mine/thread")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/moderation/login?next=")
