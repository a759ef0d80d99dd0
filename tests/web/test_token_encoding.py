"""Non-ASCII reader tokens, cookies and CSRF values are refused (401/403), never a 500.

HTTP headers travel as bytes; a client may send any of them, and Starlette hands them on as
latin-1 text. The verification functions themselves (reader tokens, CSRF, sessions) refuse
anything that is not ASCII, so no handler needs its own check.
"""

from __future__ import annotations

import httpx
import pytest

from rostra.domain.desk import Role
from rostra.domain.errors import Unauthorized
from rostra.services.tokens import ReaderTokens, Signer
from tests.conftest import SECRET, LiveServer
from tests.helpers import (
    API,
    PASSWORD,
    READER,
    desk_client,
    posted,
    problem,
    sign_in,
    staff_accounts,
)

pytestmark = pytest.mark.in_process

# Shaped like a token (five parts, our version) so that only its signature's letters are wrong.
NON_ASCII = "r1.reader.1.1700000000.signé…".encode()


def test_the_token_verifier_refuses_non_ascii_text() -> None:
    tokens = ReaderTokens(Signer(SECRET))
    good = tokens.issue(1)
    for bad in ["é…", good[:-1] + "é", "r1.é.1.2.3", good.encode().decode("latin-1") + "\u00e9"]:
        with pytest.raises(Unauthorized) as info:
            tokens.verify(bad, 1)
        assert info.value.code == "token-malformed"


def test_api_writes_with_a_non_ascii_reader_token_get_401(
    server: LiveServer, http: httpx.Client
) -> None:
    comment, _ = posted(http, "Hello.")
    headers = {READER: NON_ASCII}
    answers = [
        http.post(f"{API}/comments", json={"thread": "t1", "body": "Again."}, headers=headers),
        http.patch(f"{API}/comments/{comment}", json={"body": "Edited."}, headers=headers),
        http.put(f"{API}/comments/{comment}/vote", json={"value": 1}, headers=headers),
        http.get(f"{API}/me", params={"thread": "t1"}, headers=headers),
        http.get(f"{API}/comments/{comment}", headers=headers),
    ]
    for answer in answers:
        problem(answer, 401, "token-malformed")


def test_a_no_js_post_with_a_non_ascii_reader_cookie_starts_afresh(
    server: LiveServer, http: httpx.Client
) -> None:
    site = server.store.get_site("demo")
    assert site is not None
    answer = http.post(
        "/t/demo/post",
        data={"thread": "t1", "body": "Posted without script."},
        headers={"Cookie": b"rostra_reader_%d=" % site.id + NON_ASCII},
    )
    # The cookie proves nothing, so the reader is a new guest: the comment is posted and the
    # browser gets a fresh token.
    assert answer.status_code == 303, answer.text
    assert f"rostra_reader_{site.id}=r1." in answer.headers["set-cookie"]


def test_desk_forms_with_a_non_ascii_csrf_field_or_session_cookie_are_refused(
    server: LiveServer,
) -> None:
    staff_accounts(server.store).create("mod", PASSWORD, Role.ADMIN)
    with desk_client(server) as client:
        sign_in(client, "mod", csrf_from="/moderation/demo/queue/pending")
        forged = client.post(
            "/moderation/demo/decide",
            content="one=approve%3Ax&csrf=%C3%A9%E2%80%A6",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert forged.status_code == 403 and "csrf-failed" in forged.text
    # A session cookie that is not ASCII is no session: to the sign-in page, for pages and forms.
    with server.client(follow_redirects=False) as stranger:
        cookie = {"Cookie": b"rostra-staff=" + NON_ASCII}
        page = stranger.get("/moderation/demo/queue/pending", headers=cookie)
        assert page.status_code == 303 and "/moderation/login" in page.headers["location"]
        form_headers = {
            **cookie,
            "Origin": server.url,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        form = stranger.post(
            "/moderation/demo/decide", content="one=approve%3Ax&csrf=%C3%A9", headers=form_headers
        )
        assert form.status_code == 401 and "signed-out" in form.text
        signed_out = stranger.post(
            "/moderation/logout", content="csrf=%C3%A9", headers=form_headers
        )
        assert signed_out.status_code == 401, signed_out.text
