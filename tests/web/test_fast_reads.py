"""Cache hits answered before the framework (FastReads) stay correct across writes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import API, post_comment

pytestmark = pytest.mark.in_process

READS = (f"{API}/comments?thread=t1", "/embed/demo/thread?thread=t1", "/t/demo?thread=t1")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Production-like: sites are cached, so cache hits take the fast path.
    return {"site_cache_seconds": 60}


def post(http: httpx.Client, body: str) -> dict[str, Any]:
    r = post_comment(http, body)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def test_fast_path_serves_hits_and_sees_every_write(server: LiveServer, http: httpx.Client) -> None:
    post(http, "first")
    for path in READS:
        assert "first" in http.get(path).text
    before = server.app.app.hits
    slow = [http.get(path) for path in READS]
    assert server.app.app.hits == before + len(READS)  # all three came from the fast path
    for response in slow:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["etag"]
    post(http, "second")
    for path in READS:
        assert "second" in http.get(path).text


def test_fast_path_keeps_cors_language_and_revalidation(server: LiveServer) -> None:
    with server.client() as plain:
        plain.post(f"{API}/comments", json={"thread": "t1", "body": "bonjour"})
        plain.get(READS[1], headers={"Accept-Language": "fr"})
        hits = server.app.app.hits
        french = plain.get(READS[1], headers={"Accept-Language": "fr", "Origin": HOST_ORIGIN})
        english = plain.get(READS[1], headers={"Origin": "https://elsewhere.example"})
        assert server.app.app.hits >= hits + 1
        assert french.headers["content-language"] == "fr" and "1 commentaire" in french.text
        assert french.headers["access-control-allow-origin"] == HOST_ORIGIN
        assert english.headers["content-language"] == "en" and "1 comment" in english.text
        assert "access-control-allow-origin" not in english.headers
        etag = french.headers["etag"]
        again = plain.get(READS[1], headers={"Accept-Language": "fr", "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""


def test_a_remembered_read_follows_a_reloaded_site(server: LiveServer, http: httpx.Client) -> None:
    # The fast path remembers parsed query strings; a site reloaded with other settings (here a
    # smaller page) must be read afresh, not through what was remembered for the old one.
    for body in ("one", "two", "three"):
        post(http, body)
    fast = server.app.app
    assert len(http.get(READS[0]).json()["comments"]) == 3
    hits = fast.hits
    assert len(http.get(READS[0]).json()["comments"]) == 3 and fast.hits == hits + 1
    loaded_at, site = fast.ctx.sites["demo"]
    smaller = replace(site, settings=replace(site.settings, page_size=1))
    fast.ctx.sites["demo"] = (loaded_at, smaller)
    assert len(http.get(READS[0]).json()["comments"]) == 1
    assert len(http.get(READS[0]).json()["comments"]) == 1 and fast.hits == hits + 2


def test_a_site_update_reaches_a_running_server_once_its_cached_copy_is_old(
    server: LiveServer, http: httpx.Client
) -> None:
    # The README: a running server re-reads a site's settings every site_cache_seconds. Here 60 s:
    # an update is not seen while the copy is younger, and is seen once the copy has that age.
    for body in ("one", "two"):
        post(http, body)
    ctx = server.app.app.ctx
    assert len(http.get(READS[0]).json()["comments"]) == 2
    server.store.update_site("demo", None, {"page_size": 1})
    assert len(http.get(READS[0]).json()["comments"]) == 2  # the cached copy is still fresh
    loaded_at, site = ctx.sites["demo"]
    ctx.sites["demo"] = (loaded_at - ctx.settings.site_cache_seconds, site)  # as if 60 s passed
    assert len(http.get(READS[0]).json()["comments"]) == 1
