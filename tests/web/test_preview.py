"""Comment preview, on both databases: the posting renderer's HTML for the text, the same
refusals as posting (origin, size, media type, shape, length), and nothing stored."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from rostra.domain.errors import TooManyRequests
from rostra.services.address_limits import AddressLimiter
from rostra.services.formatting import render_markdown
from rostra.storage.tables import comments, threads
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import PROBLEM

pytestmark = pytest.mark.in_process

PREVIEW = "/api/v1/sites/demo/preview"

TEXT = "A **bold** claim, a [link](https://example.org) and <script>alert(1)</script>\n\n> quoted"


def stored(server: LiveServer) -> tuple[int, int]:
    with server.store.engines.read.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(comments)).scalar_one(),
            conn.execute(select(func.count()).select_from(threads)).scalar_one(),
        )


def test_preview_is_the_posting_renderers_html_and_stores_nothing(
    quiet: LiveServer, http: httpx.Client
) -> None:
    server = quiet
    before = stored(server)
    r = http.post(PREVIEW, json={"body": TEXT})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["access-control-allow-origin"] == HOST_ORIGIN
    assert r.headers["cache-control"] == "no-store"
    html = r.json()["html"]
    assert html == render_markdown(TEXT)
    assert "<strong>bold</strong>" in html and "<script>" not in html
    assert 'rel="nofollow ugc noopener"' in html
    assert stored(server) == before

    # The same text posted is shown exactly as previewed.
    posted = http.post("/api/v1/sites/demo/comments", json={"thread": "p1", "body": TEXT})
    assert posted.status_code == 201, posted.text
    assert posted.json()["comment"]["html"] == html
    with server.store.engines.read.connect() as conn:
        body, stored_html = conn.execute(select(comments.c.body, comments.c.html)).one()
    assert (body, stored_html) == (TEXT, html)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"body": "  \n "}, 422, "empty-body"),
        ({"body": "x" * 61}, 422, "body-too-long"),
        ({"body": "fine", "thread": "t1"}, 422, "invalid-body"),
        ({"text": "fine"}, 422, "invalid-body"),
        ({"body": 5}, 422, "invalid-body"),
    ],
)
def test_preview_refuses_what_posting_refuses(
    server: LiveServer, http: httpx.Client, body: object, status: int, code: str
) -> None:
    server.store.update_site("demo", None, {"max_body_chars": 60})
    r = http.post(PREVIEW, json=body)
    assert (r.status_code, r.headers["content-type"]) == (status, PROBLEM), r.text
    assert r.json()["code"] == code


def test_preview_checks_the_origin_and_the_encoding(server: LiveServer) -> None:
    with server.client(headers={"Origin": "https://elsewhere.example"}) as client:
        r = client.post(PREVIEW, json={"body": "hello"})
    assert r.status_code == 403 and r.json()["code"] == "origin-not-allowed"
    assert "access-control-allow-origin" not in r.headers
    with server.client(headers={"Origin": HOST_ORIGIN}) as client:
        r = client.post(PREVIEW, content=b"body=hello", headers={"Content-Type": "text/plain"})
        assert r.status_code == 415
        r = client.post(PREVIEW, content=b"{", headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["code"] == "invalid-json"
        r = client.post(
            PREVIEW, content=b'{"body": "\xff"}', headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400 and r.json()["code"] == "invalid-utf8"
        r = client.post(PREVIEW, json={"body": "x" * 2_000_000})
        assert r.status_code == 413
        r = client.post("/api/v1/sites/nowhere/preview", json={"body": "hello"})
        assert r.status_code == 404


def test_the_limiter_allows_a_number_a_minute_per_address() -> None:
    now = [1000.0]
    limiter = AddressLimiter(per_minute=3, message="slow down", clock=lambda: now[0])
    for _ in range(3):
        limiter.hit("203.0.113.9")
    with pytest.raises(TooManyRequests):
        limiter.hit("203.0.113.9")
    limiter.hit("198.51.100.7")  # another reader is not held back
    now[0] += 60
    limiter.hit("203.0.113.9")  # a new minute
    for _ in range(10):
        limiter.hit("127.0.0.1")  # an unlisted local proxy speaks for everyone: not limited
    limiter.hit(None)
