"""A banned reader's requests over the API: ``403``, code ``banned``, with the ban's end date.

docs/moderation.md ("Bans"): "A banned reader cannot post, edit, vote or report on that site
(``403``, ``banned``, with the end date)". The lengths and what a ban is keyed on are tested on
the services in tests/storage/test_bans.py; here what a reader's client gets back, on SQLite and
PostgreSQL: a problem document for each of the four writes, naming when the ban ends.
"""

from __future__ import annotations

import httpx
import pytest

from rostra.domain.desk import DeskAction, Grounds, Role
from rostra.services.desk import DecisionRequest, ModerationDesk
from tests.conftest import LiveServer
from tests.helpers import API, PASSWORD, as_reader, post_comment, posted, problem, staff_accounts

pytestmark = [pytest.mark.in_process, pytest.mark.usefixtures("quiet")]


def ban(server: LiveServer, public_id: str, days: int | None) -> str:
    """Ban the author of ``public_id`` from the demo site; the end date as refusals state it."""
    site = server.store.get_site("demo")
    assert site is not None
    moderator = staff_accounts(server.store).create("mod", PASSWORD, Role.MODERATOR, [site.id])
    desk = ModerationDesk(server.store)
    request = DecisionRequest(DeskAction.BAN, [public_id], Grounds.THREAT, "A threat.", days)
    desk.decide(moderator, site, request)
    (made,) = desk.bans(site)
    if made.expires_at is None:
        return ""
    return made.expires_at.strftime("%Y-%m-%d %H:%M")


def writes(http: httpx.Client, token: str, own: str, other: str) -> list[httpx.Response]:
    """Post, edit ``own``, vote on and report ``other``, as the reader of ``token``."""
    reader = as_reader(token)
    return [
        post_comment(http, "Am I still allowed to write here?", token=token),
        http.patch(f"{API}/comments/{own}", json={"body": "An edit."}, headers=reader),
        http.put(f"{API}/comments/{other}/vote", json={"value": 1}, headers=reader),
        http.post(f"{API}/comments/{other}/reports", json={"reason": "spam"}, headers=reader),
    ]


@pytest.mark.parametrize("days", [1, 7, 30])
def test_every_write_of_a_banned_reader_is_403_banned_with_the_end_date(
    server: LiveServer, http: httpx.Client, days: int
) -> None:
    own, token = posted(http, "My earlier comment.")
    other, _ = posted(http, "Someone else's comment.")
    target, _ = posted(http, "The comment I am banned for.", token=token)
    ends = ban(server, target, days)
    for answer in writes(http, token, own, other):
        body = problem(answer, 403, "banned")
        assert ends in body["detail"], body
    # Another reader still writes.
    posted(http, "I am not banned.")


def test_a_permanent_ban_says_so(server: LiveServer, http: httpx.Client) -> None:
    own, token = posted(http, "My earlier comment.")
    other, _ = posted(http, "Someone else's comment.")
    target, _ = posted(http, "The comment I am banned for.", token=token)
    assert ban(server, target, None) == ""
    for answer in writes(http, token, own, other):
        body = problem(answer, 403, "banned")
        assert "no longer" in body["detail"], body
