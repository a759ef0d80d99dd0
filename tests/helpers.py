"""What the web and browser tests do the same way: post through the API, read problem answers,
sign in to the moderators' desk, count stored reports, hold the clock still for time-window limits.

Fixtures stay in the conftest files; these are plain functions and constants.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import socket
import subprocess
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from argon2 import PasswordHasher
from sqlalchemy import create_engine, select, text

from rostra.app import create_app
from rostra.config import Settings
from rostra.domain.clock import utc_now
from rostra.domain.models import Author
from rostra.services.staff import StaffAccounts
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.repository import SqlStore
from rostra.storage.staff import SqlStaffStore
from rostra.storage.tables import comments, reports
from tests.conftest import SECRET, LiveServer

API = "/api/v1/sites/demo"
READER = "X-Rostra-Reader"
PROBLEM = "application/problem+json"
# What the classifier makes of a short test sentence is not what most tests are about: a site
# with these settings publishes without it (every other check still runs).
QUIET: dict[str, Any] = {"moderation": {"toxicity": {"enabled": False}}}

PASSWORD = "a long and careful passphrase"
# Argon2 at its cheapest: signing in is what these tests do, not what they measure.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


# -- readers and the API ------------------------------------------------------------------------


def api(site: str = "demo") -> str:
    """The API's root for ``site``."""
    return f"/api/v1/sites/{site}"


def as_reader(token: str | None) -> dict[str, str]:
    """The header that names a reader (none without a token)."""
    return {READER: token} if token else {}


def post_comment(
    http: httpx.Client,
    body: str = "hello",
    *,
    thread: str = "t1",
    site: str = "demo",
    token: str | None = None,
    **extra: Any,
) -> httpx.Response:
    """``POST /comments`` with ``body`` in ``thread`` (and any other fields); the answer as is."""
    payload = {"thread": thread, "body": body, **extra}
    return http.post(f"/api/v1/sites/{site}/comments", json=payload, headers=as_reader(token))


def posted(http: httpx.Client, body: str = "hello", **fields: Any) -> tuple[str, str]:
    """Post a published comment (201); returns its id and its author's reader token."""
    answer = post_comment(http, body, **fields)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    return data["comment"]["id"], data.get("reader_token") or fields.get("token") or ""


def new_reader(http: httpx.Client, site: str = "demo") -> str:
    """A fresh reader token, from ``POST /readers``."""
    answer = http.post(f"/api/v1/sites/{site}/readers")
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token


def reader_author(tokens: ReaderTokens, site_id: int) -> Author:
    """A new reader of the site, as the services see one who sent a fresh token."""
    return Author(reader_key=tokens.verify(tokens.issue(site_id), site_id).reader_key)


def problem(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check an RFC 9457 answer (status, media type, ``code``, no stack trace); its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM, answer.headers
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"].endswith("/" + code)
    assert body["detail"]
    return body


def stored_reports(store: SqlStore) -> list[tuple[str, str, str]]:
    """(comment public id, reason, note) of every stored report, oldest first."""
    with store.engines.read.connect() as conn:
        rows = conn.execute(
            select(comments.c.public_id, reports.c.reason, reports.c.note)
            .join(comments, comments.c.id == reports.c.comment_id)
            .order_by(reports.c.id)
        ).fetchall()
    return [(r.public_id, r.reason, r.note) for r in rows]


# -- the moderators' desk -----------------------------------------------------------------------


def staff_accounts(store: SqlStore) -> StaffAccounts:
    """Staff accounts on the server's database, hashed cheaply; each has ``PASSWORD`` here."""
    return StaffAccounts(SqlStaffStore(store.engines), Signer(SECRET), hasher=FAST_HASHER)


def desk_client(server: LiveServer) -> httpx.Client:
    """A client that sends what a browser sends from the desk's own pages (their Origin), and
    shows redirects instead of following them."""
    return server.client(headers={"Origin": server.url}, follow_redirects=False)


def sign_in(
    client: httpx.Client,
    username: str,
    *,
    password: str = PASSWORD,
    csrf_from: str = "/moderation/",
) -> str:
    """Sign in (with ``PASSWORD`` unless told); the CSRF token of the page ``csrf_from``."""
    answer = client.post("/moderation/login", data={"username": username, "password": password})
    assert answer.status_code == 303, answer.text
    page = client.get(csrf_from)
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found, page.text
    return found.group(1)


@contextmanager
def signed_in(server: LiveServer, username: str) -> Iterator[httpx.Client]:
    """A desk client, signed in as ``username``."""
    with desk_client(server) as client:
        sign_in(client, username)
        yield client


# -- the database and the machine ---------------------------------------------------------------


@contextmanager
def schema_at(url: str, revision: str) -> Iterator[None]:
    """The database says its schema is at ``revision`` while the block runs (then as before)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        before = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": before})
        engine.dispose()


def closed_port() -> int:
    """A port the kernel just handed out and nothing listens on any more."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- time ----------------------------------------------------------------------------------------


class MovingClock:
    """A UTC wall clock that stands still until the test moves it.

    It starts one second into a whole minute, the start of every window the limits count, so
    ``advance(58)`` is still that minute and ``advance(59)`` the next one.
    """

    def __init__(self) -> None:
        # Near the real time, so that nothing compared with it (token ages) is far off.
        self.at = utc_now().replace(second=1, microsecond=0)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: int) -> None:
        self.at += timedelta(seconds=seconds)


def clocked_app(clock: MovingClock) -> Callable[[Settings], Any]:
    """An app factory (the ``app_factory`` fixture's kind) whose limits count time by ``clock``."""
    return functools.partial(create_app, clock=clock)


T = TypeVar("T")


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(factory())`` in a thread of its own, its result or its exception.

    A test worker that ran a browser test holds Playwright's sync API loop as the running loop of
    its main thread for the rest of the session (the browser is session-scoped), and there
    ``asyncio.run`` refuses to start; a fresh thread has no running loop.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


REPO_ROOT = Path(__file__).resolve().parents[1]


def make_dry_run(target: str) -> list[str]:
    """The commands ``make TARGET`` would run, in order (make's dry run: nothing executed), each
    with its whitespace collapsed and a backslash-continued recipe line joined into one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    done = subprocess.run(
        ["make", "-n", "--always-make", target],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    joined = done.stdout.replace("\\\n", " ")
    return [" ".join(line.split()) for line in joined.splitlines() if line.strip()]
