"""The web edge: Host names, the public address, and what may enter the render cache.

Each test here reproduces a defect an outside probe found (issue 7, items 1, 2, 4 and 5), on
SQLite and PostgreSQL. Those of item 2 (behind a proxy) are over real HTTP, as ``rostra serve``
runs uvicorn: which ``X-Forwarded-*`` headers count is decided there too; the others are about
what the app answers and run in process.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rostra.domain.desk import Role
from rostra.domain.models import CommentStatus
from rostra.web.render import RenderCache
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import API, PASSWORD, post_comment, staff_accounts

READS = ("/t/demo?thread=t1", "/embed/demo/thread?thread=t1", f"{API}/comments?thread=t1")


def post(http: httpx.Client, body: str, thread: str = "t1", **extra: Any) -> dict[str, Any]:
    r = post_comment(http, body, thread=thread, **extra)
    assert r.status_code in (201, 202), r.text
    result: dict[str, Any] = r.json()["comment"]
    return result


def cache_of(server: LiveServer) -> RenderCache:
    cache: RenderCache = server.app.app.ctx.cache
    return cache


# -- item 1: the Host header cannot poison what other readers get --------------------------------


@pytest.mark.in_process
def test_an_unknown_host_is_refused_and_never_reaches_a_cached_page(
    quiet: LiveServer, http: httpx.Client
) -> None:
    post(http, "A first comment.")
    for path in READS:
        for host in ("evil.example", "127.0.0.1:80@evil.example", "127.0.0.1:x", "[::1"):
            answer = http.get(path, headers={"Host": host})
            assert answer.status_code == 400, (path, host)
            assert "evil" not in answer.text
        normal = http.get(path)
        assert normal.status_code == 200 and "evil.example" not in normal.text
    assert http.get("/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200


@pytest.mark.in_process
@pytest.mark.parametrize(
    "settings_overrides",
    [{"production": True, "public_url": "https://comments.example", "allowed_hosts": ["int.lan"]}],
)
def test_in_production_links_come_from_public_url_whatever_the_host(
    quiet: LiveServer, settings_overrides: dict[str, Any]
) -> None:
    with quiet.client(headers={"Origin": HOST_ORIGIN, "Host": "comments.example"}) as client:
        post(client, "Hello from production.")
        assert client.get(READS[0], headers={"Host": "127.0.0.1"}).status_code == 400
        for host in ("comments.example", "int.lan", "INT.LAN.:443"):
            page = client.get(READS[0], headers={"Host": host})
            assert page.status_code == 200, host
            assert 'action="https://comments.example/t/demo/post' in page.text
            assert "int.lan" not in page.text.lower() and "127.0.0.1" not in page.text
        fragment = client.get(READS[1])
        assert 'data-root="https://comments.example"' in fragment.text


# -- item 2: behind a TLS proxy, cookies are strict and the desk accepts its own forms ---------


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": ["127.0.0.1"]}])
def test_behind_a_trusted_tls_proxy_cookies_are_secure(
    quiet: LiveServer, settings_overrides: dict[str, Any]
) -> None:
    staff_accounts(quiet.store).create("mod", PASSWORD, Role.ADMIN)
    host = quiet.url.removeprefix("http://")
    headers = {"X-Forwarded-Proto": "https", "Origin": f"https://{host}"}
    with quiet.client(headers=headers, follow_redirects=False) as client:
        page = client.get(READS[0])
        assert f'action="https://{host}/t/demo/post' in page.text
        answer = client.post(
            "/t/demo/post", data={"thread": "t1", "body": "Posted through the proxy."}
        )
        assert answer.status_code == 303, answer.text
        cookie = answer.headers["set-cookie"]
        assert "; secure" in cookie.lower() and "httponly" in cookie.lower()
        # Same-origin by the proxy's word: the desk's form is not refused as cross-site because
        # the server itself speaks plain http, and its session cookie is the strict kind.
        login = client.post("/moderation/login", data={"username": "mod", "password": PASSWORD})
        assert login.status_code == 303, login.text
        staff = login.headers["set-cookie"]
        assert staff.startswith("__Host-rostra-staff=") and "secure" in staff.lower()


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": ["10.0.0.0/8"]}])
def test_forwarded_proto_from_an_unlisted_peer_is_ignored(
    quiet: LiveServer, settings_overrides: dict[str, Any]
) -> None:
    host = quiet.url.removeprefix("http://")
    with quiet.client(headers={"X-Forwarded-Proto": "https", "Origin": HOST_ORIGIN}) as client:
        page = client.get(READS[0])
        assert f'action="http://{host}/t/demo/post' in page.text, page.text[-3000:]
        answer = client.post("/t/demo/post", data={"thread": "t1", "body": "Plain http."})
        assert "secure" not in answer.headers["set-cookie"].lower()


# -- item 4: nobody can fill the render cache ---------------------------------------------------


@pytest.mark.in_process
def test_variants_of_one_read_share_one_cache_entry_and_bad_ones_are_refused(
    quiet: LiveServer, http: httpx.Client
) -> None:
    first = post(http, "The only root.")
    cache = cache_of(quiet)
    base = "/t/demo?thread=t1"
    assert http.get(base).status_code == 200
    held = len(cache)
    same = ("&limit=20", "&limit=020", "&all=0", "&all=", "&sort=newest", "&unused=1")
    for extra in same:
        assert http.get(base + extra).status_code == 200, extra
    assert len(cache) == held
    for extra in ("&limit=0", "&limit=101", "&limit=1e3", "&all=x", "&sort=best", "&cursor=@@"):
        # A bad parameter is a 400: a readable page for a person, a problem for the embed.
        page = http.get(base + extra)
        assert page.status_code == 400, extra
        assert page.headers["content-type"].startswith("text/html"), extra
        assert "rostra-error" in page.text and "The only root." in page.text, extra
        fragment = http.get("/embed/demo/thread?thread=t1" + extra)
        api = http.get(f"/api/v1/sites/demo/comments?thread=t1{extra}")
        for answer in (fragment, api):
            assert answer.status_code == 400 and answer.json()["field"], extra
    assert len(cache) == held
    for n in range(40):
        assert http.get(f"{base}&reply=r{n}").status_code == 200
    reply_page = http.get(f"{base}&reply={first['id']}")
    assert reply_page.status_code == 200 and "rostra-replying" in reply_page.text
    assert len(cache) == held, "reply pages and refused reads are never cached"
    for path in READS[1:]:
        assert http.get(path + "&limit=020").status_code == 200
    assert len(cache) == held + 2


def test_the_cache_is_bounded_by_bytes() -> None:
    cache = RenderCache(max_bytes=10_000, max_age=60)
    for n in range(100):
        cache.put(("k", n), 1, b"x" * 1_500, "text/html")
        assert cache.size <= 10_000
    assert 1 <= len(cache) <= 6
    assert cache.get(("k", 99), 1) is not None and cache.get(("k", 0), 1) is None
    cache.put(("huge",), 1, b"x" * 20_000, "text/html")
    assert cache.get(("huge",), 1) is None and cache.size <= 10_000


# -- item 5: ?reply= names only published comments of the same thread ---------------------------


@pytest.mark.in_process
def test_reply_never_reveals_a_held_comment_or_another_threads(
    quiet: LiveServer, http: httpx.Client
) -> None:
    post(http, "Root in t1.")
    other = post(http, "A comment in another thread.", thread="t2", author="Other Thread Olga")
    held = post(http, "Soon held.", author="Held Henrietta")
    comment = quiet.store.get_comment(quiet.store.get_site("demo").id, held["id"])  # type: ignore[union-attr]
    assert comment is not None
    with quiet.store.write() as tx:
        tx.set_status(comment, CommentStatus.PENDING)
        tx.touch_thread(comment.thread_id, 0)
    for path in READS[:2]:
        for target, name in ((held["id"], "Held Henrietta"), (other["id"], "Other Thread Olga")):
            page = http.get(f"{path}&reply={target}")
            assert page.status_code == 200
            assert name not in page.text, (path, name)
