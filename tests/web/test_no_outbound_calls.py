"""No third-party calls from the server (README, opening paragraph; "Moderation": "without
sending a comment to any third-party service").

While the app is built and serves a reader's whole round (posting a civil comment and an
abusive one through the full default pipeline, the classifier included; previews, votes, a
report, the thread page, the fragment, counts, feeds), Python's audit hooks see every socket
connection and every name lookup made in this process: none may leave the machine. (A database
driver written in C, such as libpq, opens its own sockets unseen; the suite's databases are on
loopback, so they would pass anyway.) SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import API, as_reader, new_reader, post_comment

pytestmark = pytest.mark.in_process

# Audit hooks cannot be removed: this one is installed once and records only while a test of
# this module has it listening.
_LISTENING: list[list[str]] = []


def _outside(host: Any) -> bool:
    if not isinstance(host, str) or not host or host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return True  # a name: looking it up is already a call out


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _LISTENING:
        return
    if event == "socket.connect" and isinstance(args[1], tuple) and _outside(args[1][0]):
        _LISTENING[-1].append(f"connect {args[1]!r}")
    elif event == "socket.getaddrinfo" and _outside(args[0]):
        _LISTENING[-1].append(f"getaddrinfo {args[0]!r}")
    elif event == "urllib.Request":
        _LISTENING[-1].append(f"urllib {args[0]!r}")


sys.addaudithook(_hook)


@pytest.fixture(autouse=True)
def outbound() -> Iterator[list[str]]:
    """What left the machine from now on (the server is built after this fixture)."""
    seen: list[str] = []
    _LISTENING.append(seen)
    yield seen
    _LISTENING.remove(seen)


def test_the_hook_sees_a_call_out(outbound: list[str]) -> None:
    """The watch itself works: a lookup of a public name is recorded (nothing is sent)."""
    with contextlib.suppress(OSError):
        socket.getaddrinfo("rostra-test.invalid", 443)
    assert outbound == ["getaddrinfo 'rostra-test.invalid'"]


def test_a_readers_round_makes_no_call_off_the_machine(
    outbound: list[str], server: LiveServer, http: httpx.Client
) -> None:
    token = new_reader(http)
    civil = post_comment(
        http, "The bridge works should finish before the summer market.", token=token
    )
    assert civil.status_code == 201, civil.text
    comment = civil.json()["comment"]["id"]
    abusive = post_comment(
        http, "You are a worthless idiot and a disgusting moron, get lost.", token=new_reader(http)
    )
    assert abusive.status_code in (202, 409, 422), abusive.text  # stopped, by the classifier
    other = new_reader(http)
    assert http.post(f"{API}/preview", json={"body": "A *draft*."}).status_code == 200
    vote = http.put(f"{API}/comments/{comment}/vote", json={"value": 1}, headers=as_reader(other))
    assert vote.status_code == 200, vote.text
    report = http.post(
        f"{API}/comments/{comment}/reports", json={"reason": "spam"}, headers=as_reader(other)
    )
    assert report.status_code in (201, 202), report.text
    for path in (
        "/t/demo?thread=t1",
        "/embed/demo/thread?thread=t1",
        f"{API}/counts?thread=t1",
        "/feeds/demo.atom",
        "/feeds/demo/thread.atom?thread=t1",
        "/api/v1/openapi.json",
    ):
        assert http.get(path, headers={"Origin": HOST_ORIGIN}).status_code == 200, path
    assert outbound == []
