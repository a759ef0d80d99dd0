"""Every route is declared through its access group, and each group's rules hold on all of them.

The table is read from the app itself, so a route added later is checked without a new test:
a reader route that changes something refuses a page the site did not allow, a desk route
refuses a visitor without a staff session, and the fast reads and the OpenAPI paths come from
the same table.
"""

from __future__ import annotations

import re

import pytest
from starlette.routing import Mount, Route

from rostra.web.api.openapi import build_document
from rostra.web.groups import SAFE_METHODS
from rostra.web.routes import GROUPS, ROUTES, fast_read_paths, route_table
from tests.conftest import HOST_ORIGIN, LiveServer

GROUPED = {id(row.route) for group in GROUPS for row in group.routes}
PARAMS = {"site": "demo", "comment": "c0ffee", "queue": "pending", "ban": "1", "account": "1"}
EVIL = "https://evil.example"


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAMS.get(m[1], "x"), path)


def _rows(group: str) -> list[tuple[str, str]]:
    return [
        (method, _concrete(path))
        for methods, path, name, _ in route_table()
        if name == group
        for method in methods.split(",")
    ]


def test_every_route_belongs_to_a_group() -> None:
    for route in ROUTES:
        if isinstance(route, Mount):
            continue  # the static files: GET only, nothing to guard
        assert isinstance(route, Route), route
        assert id(route) in GROUPED, route.path
    assert {name for _, _, name, _ in route_table()} == {g.name for g in GROUPS}


@pytest.mark.parametrize(
    ("method", "path"),
    [row for row in _rows("reader") + _rows("reader-page") if row[0] not in SAFE_METHODS],
)
def test_reader_writes_refuse_a_page_the_site_did_not_allow(
    server: LiveServer, method: str, path: str
) -> None:
    with server.client(headers={"Origin": EVIL}) as client:
        answer = client.request(method, path, json={})
    assert answer.status_code == 403, answer.text
    if path.startswith("/api/"):
        assert answer.json()["code"] == "origin-not-allowed"
    else:  # the no-JS forms: a page for the person who pressed the button
        assert answer.headers["content-type"].startswith("text/html")
        assert f"Pages at {EVIL} may not post to this site." in answer.text


@pytest.mark.parametrize(("method", "path"), _rows("moderator") + _rows("admin"))
def test_desk_routes_need_a_staff_session(server: LiveServer, method: str, path: str) -> None:
    with server.client(headers={"Origin": server.url}, follow_redirects=False) as client:
        answer = client.request(method, path, data={"csrf": "x"})
    if method == "GET":
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/moderation/login?next=")
    else:
        assert answer.status_code == 401, answer.text
        assert "text/html" in answer.headers["content-type"]


def test_fast_reads_and_the_api_document_come_from_the_table() -> None:
    kinds = {kind: pattern.pattern for kind, pattern in fast_read_paths()}
    assert set(kinds) == {"json", "fragment", "page"}
    assert re.match(kinds["json"], "/api/v1/sites/demo/comments")
    assert not re.match(kinds["page"], "/t/demo/post")  # a form, never a cached read
    documented = {
        (path, method.upper())
        for path, item in build_document()["paths"].items()
        for method in item
    }
    api_rows = {
        (path, method)
        for methods, path, _, _ in route_table()
        if path.startswith("/api/v1/sites/") and "{path:path}" not in path
        for method in methods.split(",")
    }
    assert documented == api_rows


def test_a_body_over_the_groups_limit_is_refused_before_it_is_read(server: LiveServer) -> None:
    limit = 65_536  # max_request_bytes' default
    with server.client(headers={"Origin": HOST_ORIGIN}) as client:
        answer = client.post(
            "/api/v1/sites/demo/comments",
            content=b"{" + b" " * limit + b"}",
            headers={"content-type": "application/json"},
        )
    assert answer.status_code == 413
    assert answer.json()["code"] == "payload-too-large"
