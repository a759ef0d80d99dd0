"""One client without a reader token cannot lock a thread for the readers who have one.

From 127.0.0.1 (a loopback peer, as behind a local proxy that is not listed in
``trusted_proxies``), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import QUIET, new_reader, post_comment

pytestmark = pytest.mark.in_process

# A thread budget one client could use up alone if nothing shared it fairly.
BUSY: dict[str, Any] = {
    "moderation": {**QUIET["moderation"], "rate_limits": {"thread_per_minute": 20}}
}


def test_a_token_less_client_is_limited_and_a_real_reader_still_posts(
    server: LiveServer, http: httpx.Client
) -> None:
    server.store.create_site("busy", "Busy", [HOST_ORIGIN], BUSY)
    answers = []
    for n in range(12):
        answer = post_comment(http, f"Flood number {n}.", thread="hot", site="busy")
        answers.append(answer.status_code)
    # The tight bucket for writes without a token stopped it long before the thread's 20.
    assert answers[0] == 201 and 429 in answers, answers
    assert answers.index(429) <= 5, answers
    assert answers[answers.index(429) :] == [429] * (12 - answers.index(429)), answers
    # The no-JS form without a cookie is the same kind of write, in the same bucket.
    with server.client(headers={"Origin": HOST_ORIGIN}) as form_client:
        refused = form_client.post("/t/busy/post", data={"thread": "hot", "body": "Form flood."})
    assert refused.status_code == 429, refused.text

    token = new_reader(http, "busy")
    posted = post_comment(
        http, "A reader with a token has something to say.", thread="hot", site="busy", token=token
    )
    assert posted.status_code == 201, posted.text
    # And once the flood waits out its minute it could post again; until then it still cannot.
    again = post_comment(http, "Still flooding.", thread="hot", site="busy")
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 0
