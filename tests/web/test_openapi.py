"""The OpenAPI document is valid, covers every API route, and the live server keeps to it.

Schemathesis reads the document the server serves, generates requests from it (valid ones and
deliberately broken ones) and sends them over real HTTP to a real server on SQLite and on
PostgreSQL. Any 5xx, undocumented status code, wrong content type or body that does not match its
schema fails the test. A thread with comments and two readers' tokens are seeded first, and the
generated site, comment ids, thread ids and tokens are sometimes swapped for those real ones, so
requests reach real data and not only the 404 paths.

The demo site has no rate limits here (``OPEN``, and no report limits), so the writes that
carry a reader token reach their 2xx instead of ending in 429 after the first few examples. Each
operation's test counts its examples' answers by status class, prints them (``-rA`` or ``-s``
shows the table) and fails when a write operation never got a 2xx or got a 429 at all: with the
limits back, comments end in 429 from the sixth on, and that fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.definitions import OPENAPI_31
from starlette.routing import Route

from rostra.services.reports import ReportLimits
from rostra.web.api.openapi import build_document
from rostra.web.requests import READER_HEADER
from rostra.web.routes import ROUTES
from tests.conftest import LiveServer
from tests.helpers import API, QUIET, as_reader, posted

DOC = "/api/v1/openapi.json"


@pytest.mark.in_process
def test_document_is_valid_openapi_3_1(http: httpx.Client) -> None:
    r = http.get(DOC)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] == [{"url": "/"}]
    assert doc == build_document()  # what the fuzz test below loads
    errors = [e.message for e in jsonschema_rs.validator_for(OPENAPI_31).iter_errors(doc)]
    assert errors == []


def test_document_covers_every_api_route() -> None:
    doc = build_document()
    documented = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    served = {
        (route.path, method)
        for route in ROUTES
        if isinstance(route, Route) and route.path.startswith("/api/v1/sites/")
        for method in (route.methods or ())
        if method not in ("HEAD", "OPTIONS")
    }
    assert documented == served


def test_reader_header_matches_security_scheme() -> None:
    scheme = build_document()["components"]["securitySchemes"]["readerToken"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header"
    assert scheme["name"].lower() == READER_HEADER


def test_every_error_is_a_problem_document() -> None:
    doc = build_document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            assert {"404", "429"} <= codes, (method, path)
            for code, response in op["responses"].items():
                if code.startswith("4"):
                    target = response["$ref"].rsplit("/", 1)[1]
                    content = doc["components"]["responses"][target]["content"]
                    assert list(content) == ["application/problem+json"]


@dataclass
class Seeded:
    """Real ids and tokens for the generated requests to use."""

    comments: list[str]
    author_token: str
    other_token: str


# The site's pipeline without its rate limits (nor the classifier, as ``QUIET``): what is
# fuzzed is the API's answers, not how many comments a minute one reader may write.
OPEN: dict[str, Any] = {"moderation": {**QUIET["moderation"], "rate_limits": {"enabled": False}}}
#: The operations that write: each must see at least one 2xx among its generated examples.
WRITES = {
    "POST /api/v1/sites/{site}/comments",
    "PATCH /api/v1/sites/{site}/comments/{comment}",
    "DELETE /api/v1/sites/{site}/comments/{comment}",
    "PUT /api/v1/sites/{site}/comments/{comment}/vote",
    "POST /api/v1/sites/{site}/comments/{comment}/reports",
    "POST /api/v1/sites/{site}/readers",
}


def seed(server: LiveServer) -> Seeded:
    server.store.update_site("demo", None, OPEN)
    # Reports have limits of their own, per reader and hour, that no site setting changes; the
    # app's own reports service counts none here ("0: no limit").
    server.app.app.ctx.reports.limits = ReportLimits(per_reader_hour=0, per_address_hour=0)
    # No Origin header: a server-side caller, just as Schemathesis will be.
    with server.client() as c:
        root, author = posted(c, "Seeded *root*")
        reply, other = posted(c, "A reply", parent=root)
        second, _ = posted(c, "Second root", token=author)
        gone, gone_token = posted(c, "soon gone")
        deleted = c.delete(f"{API}/comments/{gone}", headers=as_reader(gone_token))
        assert deleted.status_code == 200, deleted.text
    return Seeded(comments=[root, reply, second, gone], author_token=author, other_token=other)


HTTP_HEAD_LIMIT = 60_000


def _request_head_size(case: schemathesis.Case, base_url: str) -> int:
    kwargs = case.as_transport_kwargs(base_url=base_url)
    prepared = requests.Request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=kwargs["headers"]
    ).prepare()
    headers = sum(len(str(k)) + len(str(v)) + 4 for k, v in prepared.headers.items())
    return len(prepared.url or "") + headers


def _sometimes(real: list[Any], generated: Any) -> st.SearchStrategy[Any]:
    """Mostly a real value, sometimes the generated one (for the not-found paths)."""
    return st.sampled_from([*real, generated])


@pytest.fixture
def seeded(server: LiveServer) -> tuple[LiveServer, Seeded]:
    return server, seed(server)


@dataclass
class Answers:
    """One operation's examples, counted by the class of their status ("2xx", "4xx", ...)."""

    operation: str = ""
    counts: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        classes = "  ".join(f"{k} {self.counts[k]}" for k in sorted(self.counts))
        return f"{self.operation}: {self.counts.total()} examples: {classes}"


@pytest.fixture
def answers() -> Iterator[Answers]:
    """The answers to one operation's examples, counted while Hypothesis runs them all; then
    printed (``-rA`` shows them) and, for a write, held to its floor: at least one 2xx, and no
    429 from limits that are off."""
    tally = Answers()
    yield tally
    print("\nfuzzed " + tally.line())
    if tally.operation in WRITES:
        assert tally.counts["2xx"] > 0, "no example got a 2xx: " + tally.line()
        assert tally.counts["429"] == 0, "rate-limited without limits: " + tally.line()


# Loaded from the same function that serves the document (a test above checks they are equal);
# schemathesis' lazy fixture loader cannot be used with pytest 9.2 (it sets Item._nodeid).
schema = schemathesis.openapi.from_dict(build_document())


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_server_keeps_to_its_document(
    case: schemathesis.Case,
    data: st.DataObject,
    seeded: tuple[LiveServer, Seeded],
    answers: Answers,
) -> None:
    server, real = seeded
    params = case.path_parameters or {}
    if "site" in params:
        params["site"] = data.draw(_sometimes(["demo", "demo", "demo"], params["site"]))
    if "comment" in params:
        params["comment"] = data.draw(_sometimes(real.comments, params["comment"]))
    if isinstance(case.query, dict) and isinstance(case.query.get("thread"), str):
        case.query["thread"] = data.draw(_sometimes(["t1"], case.query["thread"]))
    if isinstance(case.body, dict):
        if isinstance(case.body.get("thread"), str):
            case.body["thread"] = data.draw(_sometimes(["t1"], case.body["thread"]))
        if isinstance(case.body.get("parent"), str):
            case.body["parent"] = data.draw(_sometimes(real.comments, case.body["parent"]))
    if case.headers and "X-Rostra-Reader" in case.headers:
        case.headers["X-Rostra-Reader"] = data.draw(
            _sometimes([real.author_token, real.other_token], case.headers["X-Rostra-Reader"])
        )
    # uvicorn refuses a request head over 64 KiB with a plain-text 400 before Rostra sees it;
    # long thread lists are what POST /counts is for (the document says so).
    assume(_request_head_size(case, server.url) < HTTP_HEAD_LIMIT)
    response = case.call(base_url=server.url)
    answers.operation = case.operation.label
    status = response.status_code
    answers.counts["429" if status == 429 else f"{status // 100}xx"] += 1
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
