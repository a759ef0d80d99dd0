"""The moderation UI over real HTTP (SQLite and PostgreSQL): sign-in, sessions, CSRF, cross-site
and cross-tenant refusals, decisions from the queue, bans, the audit log and bad input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from rostra.domain.desk import Role
from rostra.domain.models import Author, CommentStatus
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.tables import audit_log
from tests.conftest import SECRET, LiveServer
from tests.helpers import PASSWORD, desk_client, sign_in, staff_accounts

HELD = {"moderation": {"premoderation": "all", "toxicity": {"enabled": False}}}


@pytest.fixture
def newsroom(server: LiveServer) -> dict[str, Any]:
    """Two sites that hold every comment, a moderator of the first, an admin, and held comments."""
    store = server.store
    mine = store.create_site("mine", "Mine", [], HELD)
    theirs = store.create_site("theirs", "Theirs", [], HELD)
    accounts = staff_accounts(store)
    accounts.create("mod", PASSWORD, Role.MODERATOR, [mine.id], "Moderator Mo")
    accounts.create("boss", PASSWORD, Role.ADMIN)
    tokens = ReaderTokens(Signer(SECRET))
    from rostra.moderation.moderator import PipelineModerator
    from rostra.storage.moderation import SqlModerationState

    moderator = PipelineModerator(SqlModerationState(store.engines), address_key=b"k" * 32)
    discussion = Discussion(store, tokens, moderator=moderator)

    def post(site: Any, body: str, email: str | None = None) -> str:
        author = Author(reader_key=tokens.verify(tokens.issue(site.id), site.id).reader_key)
        request = PostRequest(thread_external_id="a-1", body=body, email=email)
        return discussion.post(site, request, author).public_id

    return {
        "mine": mine,
        "theirs": theirs,
        "discussion": discussion,
        "post": post,
        "mine_ids": [post(mine, f"Held comment {n} on my site.") for n in range(3)],
        "their_id": post(theirs, "Held comment on their site."),
    }


@pytest.fixture
def browser_like(server: LiveServer) -> Iterator[httpx.Client]:
    """A client that sends what a browser sends from our own pages: the Origin header."""
    with desk_client(server) as client:
        yield client


def audit_count(server: LiveServer) -> int:
    """Decisions by people (pre-moderation's own holds are on record as well)."""
    with server.store.engines.read.connect() as conn:
        query = select(func.count()).where(audit_log.c.actor_id.is_not(None))
        return int(conn.execute(query).scalar() or 0)


def status_of(newsroom: dict[str, Any], site: str, public_id: str) -> CommentStatus:
    return newsroom["discussion"].comment(newsroom[site], public_id).status  # type: ignore[no-any-return]


def test_pages_need_a_session_and_sign_in_sets_a_strict_http_only_cookie(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    answer = browser_like.get("/moderation/mine/queue/pending")
    assert answer.status_code == 303
    assert (
        answer.headers["location"]
        == "/moderation/login?next=%2Fmoderation%2Fmine%2Fqueue%2Fpending"
    )
    # Where they were includes the query (a thread's page, a later page of a queue).
    deep = browser_like.get("/moderation/mine/thread", params={"thread": "news/a b"})
    assert deep.headers["location"] == "/moderation/login?" + urlencode(
        {"next": "/moderation/mine/thread?thread=news%2Fa+b"}
    )
    login = browser_like.get("/moderation/login")
    assert login.status_code == 200 and 'name="password"' in login.text
    assert login.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    wrong = browser_like.post("/moderation/login", data={"username": "mod", "password": "nope!"})
    assert wrong.status_code == 401 and "wrong" in wrong.text
    assert "set-cookie" not in wrong.headers
    right = browser_like.post(
        "/moderation/login",
        data={"username": "MOD", "password": PASSWORD, "next": "/moderation/mine/audit"},
    )
    assert right.status_code == 303 and right.headers["location"] == "/moderation/mine/audit"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    home = browser_like.get("/moderation/")
    assert home.status_code == 200 and "Mine" in home.text and "Theirs" not in home.text
    assert home.headers["cache-control"] == "no-store"


def test_an_open_redirect_is_not_offered(
    newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    for target in [
        "https://evil.example/",
        "//evil.example/x",
        "/moderation/\\evil",
        "javascript:x",
    ]:
        answer = browser_like.post(
            "/moderation/login", data={"username": "mod", "password": PASSWORD, "next": target}
        )
        assert answer.headers["location"] == "/moderation/"


def test_approve_from_the_queue_publishes_and_audits(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "mod")
    queue = browser_like.get("/moderation/mine/queue/pending")
    for public_id in newsroom["mine_ids"]:
        assert public_id in queue.text
    assert newsroom["their_id"] not in queue.text
    first = newsroom["mine_ids"][0]
    answer = browser_like.post(
        "/moderation/mine/decide",
        data={"csrf": csrf, "one": f"approve:{first}", "next": "/moderation/mine/queue/pending"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/moderation/mine/queue/pending?done=approve&n=1"
    assert status_of(newsroom, "mine", first) is CommentStatus.PUBLISHED
    after = browser_like.get(answer.headers["location"])
    assert "1 comment approved." in after.text and first not in after.text
    # Readers see it now.
    listed = browser_like.get("/api/v1/sites/mine/comments", params={"thread": "a-1"}).json()
    assert [c["id"] for c in listed["comments"]] == [first]
    log = browser_like.get("/moderation/mine/audit")
    assert "Moderator Mo" in log.text and first in log.text


def test_bulk_reject_needs_a_ground_and_records_the_statement_of_reasons(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "mod")
    ids = newsroom["mine_ids"][1:]
    data = {"csrf": csrf, "action": "reject", "ids": ids, "explanation": "Name-calling."}
    missing = browser_like.post("/moderation/mine/decide", data=data)
    assert missing.status_code == 422 and "ground" in missing.text
    assert audit_count(server) == 0
    done = browser_like.post("/moderation/mine/decide", data={**data, "grounds": "insult"})
    assert done.status_code == 303
    assert all(status_of(newsroom, "mine", i) is CommentStatus.REJECTED for i in ids)
    case = browser_like.get(f"/moderation/mine/comments/{ids[0]}")
    assert case.status_code == 200
    assert "Insults or harassment of a person" in case.text and "Name-calling." in case.text
    assert audit_count(server) == 2


def test_forms_without_the_sessions_csrf_token_or_from_another_site_change_nothing(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "mod")
    target = newsroom["mine_ids"][0]
    decision = {"one": f"approve:{target}"}
    for forged in [{}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": csrf[:-1] + "x"}]:
        answer = browser_like.post("/moderation/mine/decide", data={**decision, **forged})
        assert answer.status_code == 403 and "csrf-failed" in answer.text
    cross = browser_like.post(
        "/moderation/mine/decide",
        data={**decision, "csrf": csrf},
        headers={"Origin": "https://attacker.example"},
    )
    assert cross.status_code == 403 and "cross-site" in cross.text
    fetch = browser_like.post(
        "/moderation/mine/decide",
        data={**decision, "csrf": csrf},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": ""},
    )
    assert fetch.status_code == 403
    assert status_of(newsroom, "mine", target) is CommentStatus.PENDING
    assert audit_count(server) == 0
    # A form posted after signing out is refused too (the session is gone).
    browser_like.post("/moderation/logout", data={"csrf": csrf})
    late = browser_like.post("/moderation/mine/decide", data={**decision, "csrf": csrf})
    assert late.status_code == 401
    assert browser_like.get("/moderation/").status_code == 303


def test_a_moderator_cannot_see_or_act_on_another_sites_comments(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "mod")
    assert browser_like.get("/moderation/theirs/queue/pending").status_code == 403
    their_id = newsroom["their_id"]
    # Through their site's URL: not a site of mine.
    answer = browser_like.post(
        "/moderation/theirs/decide", data={"csrf": csrf, "one": f"approve:{their_id}"}
    )
    assert answer.status_code == 403
    # Through my site's URL with their comment's id: forbidden, not approved.
    answer = browser_like.post(
        "/moderation/mine/decide", data={"csrf": csrf, "one": f"approve:{their_id}"}
    )
    assert answer.status_code == 403 and "comment-of-another-site" in answer.text
    assert status_of(newsroom, "theirs", their_id) is CommentStatus.PENDING
    assert browser_like.get(f"/moderation/mine/comments/{their_id}").status_code == 404
    assert audit_count(server) == 0


def test_an_admin_moderates_every_site(
    newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    sign_in(browser_like, "boss")
    home = browser_like.get("/moderation/")
    assert "Mine" in home.text and "Theirs" in home.text
    assert newsroom["their_id"] in browser_like.get("/moderation/theirs/queue/pending").text


def test_ban_from_a_comment_and_lift_it(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "mod")
    target = newsroom["post"](newsroom["mine"], "Another held comment.", "who@example.org")
    answer = browser_like.post(
        "/moderation/mine/decide",
        data={
            "csrf": csrf,
            "one": f"ban:{target}",
            "grounds": "threat",
            "ban_days": "7",
            "explanation": "Threatened another reader.",
        },
    )
    assert answer.status_code == 303, answer.text
    assert status_of(newsroom, "mine", target) is CommentStatus.REJECTED
    bans = browser_like.get("/moderation/mine/bans")
    assert bans.text.count("Threatened another reader.") == 2  # reader token and e-mail hash
    assert "who@example.org" not in bans.text
    ban_ids = re.findall(r"/moderation/mine/bans/(\d+)/lift", bans.text)
    assert len(ban_ids) == 2
    lifted = browser_like.post(
        f"/moderation/mine/bans/{ban_ids[0]}/lift", data={"csrf": csrf, "explanation": "Sorry."}
    )
    assert lifted.status_code == 303
    assert len(re.findall(r"/bans/(\d+)/lift", browser_like.get("/moderation/mine/bans").text)) == 1
    bad = browser_like.post("/moderation/mine/bans/999999/lift", data={"csrf": csrf})
    assert bad.status_code == 404
    bad = browser_like.post("/moderation/mine/bans/x1/lift", data={"csrf": csrf})
    assert bad.status_code == 422
    days = browser_like.post(
        "/moderation/mine/decide",
        data={"csrf": csrf, "one": f"ban:{target}", "grounds": "threat", "ban_days": "3"},
    )
    assert days.status_code == 422


def test_bad_input_gets_a_readable_page_and_changes_nothing(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    csrf = sign_in(browser_like, "mod")
    target = newsroom["mine_ids"][0]
    cases = [
        ({"csrf": csrf, "one": f"promote:{target}"}, 422),
        ({"csrf": csrf, "action": "approve"}, 422),
        ({"csrf": csrf, "one": "approve:" + "x" * 5000}, 404),
        ({"csrf": csrf, "one": "approve:a%00b"}, 404),
        ({"csrf": csrf, "one": f"reject:{target}", "grounds": "because"}, 422),
        ({"csrf": csrf, "one": f"reject:{target}", "grounds": "other"}, 422),
        (
            {"csrf": csrf, "one": f"reject:{target}", "grounds": "spam", "explanation": "x" * 2001},
            422,
        ),
        ({"csrf": csrf, "action": "approve", "ids": [f"c{n}" for n in range(101)]}, 422),
        ({"csrf": csrf, "one": f"ban:{target}", "grounds": "spam", "ban_days": "-1"}, 422),
    ]
    for data, status in cases:
        answer = browser_like.post("/moderation/mine/decide", data=data)
        assert answer.status_code == status, (data, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html")
        assert "Traceback" not in answer.text
    assert browser_like.get("/moderation/mine/queue/promoted").status_code == 404
    assert browser_like.get("/moderation/mine/queue/pending?after=abc").status_code == 422
    assert browser_like.get("/moderation/nosuchsite/queue/pending").status_code == 404
    assert browser_like.get("/moderation/mine/audit?before=-5").status_code == 422
    huge = browser_like.post(
        "/moderation/mine/decide", data={"csrf": csrf, "explanation": "x" * 300_000}
    )
    assert huge.status_code == 413
    as_json = browser_like.post("/moderation/mine/decide", json={"csrf": csrf})
    assert as_json.status_code == 415
    assert status_of(newsroom, "mine", target) is CommentStatus.PENDING
    assert audit_count(server) == 0


def test_comment_text_is_shown_as_text_never_as_markup(
    newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    evil = newsroom["post"](
        newsroom["mine"], "<script>alert(1)</script><img src=x onerror=alert(2)>"
    )
    sign_in(browser_like, "mod")
    for path in ["/moderation/mine/queue/pending", f"/moderation/mine/comments/{evil}"]:
        text = browser_like.get(path).text
        assert "<script>alert(1)" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_sign_in_is_throttled(newsroom: dict[str, Any], browser_like: httpx.Client) -> None:
    for _ in range(5):
        answer = browser_like.post("/moderation/login", data={"username": "mod", "password": "x"})
        assert answer.status_code == 401
    answer = browser_like.post("/moderation/login", data={"username": "mod", "password": PASSWORD})
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    assert "set-cookie" not in answer.headers
    cross = browser_like.post(
        "/moderation/login",
        data={"username": "boss", "password": PASSWORD},
        headers={"Origin": "https://attacker.example"},
    )
    assert cross.status_code == 403


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://news.example"}])
def test_over_https_the_cookie_is_secure_and_host_only(
    newsroom: dict[str, Any], server: LiveServer, settings_overrides: dict[str, Any]
) -> None:
    # As the TLS proxy in front would send it: the public host name, over plain http.
    headers = {"Origin": "https://news.example", "Host": "news.example"}
    with server.client(headers=headers) as client:
        answer = client.post("/moderation/login", data={"username": "mod", "password": PASSWORD})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("__Host-rostra-staff=") and "Secure" in cookie and "Path=/" in cookie


def test_admins_manage_staff_accounts_and_moderators_may_not(
    server: LiveServer, newsroom: dict[str, Any], browser_like: httpx.Client
) -> None:
    sign_in(browser_like, "mod")
    assert browser_like.get("/moderation/staff").status_code == 403
    browser_like.cookies.clear()
    csrf = sign_in(browser_like, "boss")
    listing = browser_like.get("/moderation/staff")
    assert listing.status_code == 200 and "mod" in listing.text and "boss" in listing.text
    mine = str(newsroom["mine"].id)
    made = browser_like.post(
        "/moderation/staff",
        data={"csrf": csrf, "username": "newbie", "role": "moderator", "sites": [mine]},
    )
    assert made.status_code == 200
    found = re.search(r"<code data-new-password>([^<]+)</code>", made.text)
    assert found
    password = found.group(1)
    with server.client(headers={"Origin": server.url}) as newcomer:
        assert sign_in(newcomer, "newbie", password=password)
        assert newcomer.get("/moderation/mine/queue/pending").status_code == 200
        assert newcomer.get("/moderation/theirs/queue/pending").status_code == 403
        # A new password ends the sessions opened with the old one.
        fresh = browser_like.get("/moderation/staff").text
        newbie = re.search(
            r'<th scope="row">newbie<.*?action="/moderation/staff/(\d+)"', fresh, re.S
        )
        assert newbie
        newbie_id = newbie.group(1)
        reset = browser_like.post(
            f"/moderation/staff/{newbie_id}", data={"csrf": csrf, "reset_password": "1"}
        )
        assert reset.status_code == 200 and "data-new-password" in reset.text
        assert newcomer.get("/moderation/").status_code == 303
    bad = [
        {"csrf": csrf, "username": "x y", "role": "moderator"},
        {"csrf": csrf, "username": "other", "role": "emperor"},
        {"csrf": csrf, "username": "other", "role": "moderator", "sites": ["999999"]},
        {"csrf": csrf, "username": "newbie", "role": "moderator"},
        {"username": "other", "role": "moderator"},
    ]
    for data in bad:
        answer = browser_like.post("/moderation/staff", data=data)
        assert answer.status_code in (403, 409, 422), (data, answer.status_code)
    boss_id = re.search(
        r'<th scope="row">boss.*?action="/moderation/staff/(\d+)"', listing.text, re.S
    )
    assert boss_id
    own = browser_like.post(
        f"/moderation/staff/{boss_id.group(1)}",
        data={"csrf": csrf, "role": "moderator", "sites": [mine]},
    )
    assert own.status_code == 422 and "own-account" in own.text
    # Disabling an account ends its sessions and its sign-ins.
    mod_id = re.search(
        r'<th scope="row">mod<.*?action="/moderation/staff/(\d+)"', listing.text, re.S
    )
    assert mod_id
    off = browser_like.post(
        f"/moderation/staff/{mod_id.group(1)}",
        data={"csrf": csrf, "role": "moderator", "sites": [mine], "disabled": "1"},
    )
    assert off.status_code == 303
    with server.client(headers={"Origin": server.url}) as former:
        denied = former.post("/moderation/login", data={"username": "mod", "password": PASSWORD})
        assert denied.status_code == 401
