"""API errors in the reader's language (README, "API": problem+json documents "with a stable
``code`` and a ``detail`` in the reader's language (English and French ship)").

Each kind of error the README names (a missing or malformed query parameter, a body field that
cannot be used) and a few more (an unknown site, a body that is not JSON, a rate limit) is asked
for in English and in French: the ``code`` is the same, the French ``detail`` is the French
catalogue's translation of the English one, and the two differ. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rostra.i18n import translations
from tests.conftest import LiveServer
from tests.helpers import API, problem

pytestmark = pytest.mark.in_process

French = translations("fr").gettext

Ask = Callable[[httpx.Client, dict[str, str]], httpx.Response]

CASES: list[tuple[str, Ask, int, str, str, dict[str, Any]]] = [
    (
        "missing query parameter",
        lambda http, h: http.get(f"{API}/comments", headers=h),
        400,
        "missing-parameter",
        "The query parameter %(name)s is required.",
        {"name": "thread"},
    ),
    (
        "unknown site",
        lambda http, h: http.get("/api/v1/sites/nope/comments?thread=t1", headers=h),
        404,
        "site-not-found",
        "There is no site called %(site)s.",
        {"site": "nope"},
    ),
    (
        "a body field that cannot be used",
        lambda http, h: http.post(f"{API}/comments", json={"thread": "t1", "body": " "}, headers=h),
        422,
        "empty-body",
        "A comment cannot be empty.",
        {},
    ),
    (
        "a body that is not JSON",
        lambda http, h: http.post(
            f"{API}/comments",
            content=b'{"thread": ',
            headers={**h, "Content-Type": "application/json"},
        ),
        400,
        "invalid-json",
        "The request body is not valid JSON.",
        {},
    ),
]


@pytest.mark.parametrize(("case", "ask", "status", "code", "english", "params"), CASES)
def test_an_api_error_speaks_french_to_a_french_reader(
    quiet: LiveServer,
    http: httpx.Client,
    case: str,
    ask: Ask,
    status: int,
    code: str,
    english: str,
    params: dict[str, Any],
) -> None:
    in_english = problem(ask(http, {"Accept-Language": "en"}), status, code)
    assert in_english["detail"] == english % params
    expected = French(english) % params
    assert expected != in_english["detail"], "the French catalogue lacks it"
    for accept in ("fr", "fr-CA,fr;q=0.9,en;q=0.5"):
        in_french = problem(ask(http, {"Accept-Language": accept}), status, code)
        assert in_french["detail"] == expected, (case, accept)
        assert in_french.get("field") == in_english.get("field")


def test_lang_picks_french_too_and_a_rate_limit_says_so_in_french(
    quiet: LiveServer, http: httpx.Client
) -> None:
    asked = problem(http.get(f"{API}/comments", params={"lang": "fr"}), 400, "missing-parameter")
    assert asked["detail"] == French("The query parameter %(name)s is required.") % {
        "name": "thread"
    }
    # Writes without a reader token share one small bucket: the first refusal, in French.
    french = {"Accept-Language": "fr"}
    for n in range(20):
        answer = http.post(
            f"{API}/comments", json={"thread": "t1", "body": f"Comment {n}."}, headers=french
        )
        if answer.status_code == 429:
            break
        assert answer.status_code == 201, answer.text
    limited = problem(answer, 429, "rate-limited")
    english = "You are posting too fast. Wait a moment, then try again."
    assert limited["detail"] == French(english) != english
    assert int(answer.headers["retry-after"]) > 0
