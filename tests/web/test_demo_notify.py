"""``make demo`` shows "Notify me of" working with no mail server: a reader asks to follow the
thread, the demo's own job runner sends the confirmation mail to the demo's SMTP sink, and the
mailbox page lists it, with the link that confirms."""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rostra.demo.app import create_demo_app
from rostra.demo.mail_sink import BoundController, start_sink
from rostra.demo.mailbox import Mailbox
from tests.conftest import HOST_ORIGIN, IN_PROCESS_URL, LiveServer
from tests.helpers import QUIET, posted

pytestmark = pytest.mark.in_process

SUBJECT = "Confirm your notifications from Demo"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "caught"


@pytest.fixture
def sink(folder: Path) -> Iterator[BoundController]:
    controller = start_sink(Mailbox(folder))
    yield controller
    controller.stop()


@pytest.fixture
def app_factory(folder: Path) -> Callable[..., Any]:
    return functools.partial(create_demo_app, mailbox=folder)


@pytest.fixture
def settings_overrides(sink: BoundController) -> dict[str, Any]:
    return {"smtp_url": sink.url, "public_url": IN_PROCESS_URL, "jobs_poll_ms": 20}


def listing_once_it_shows(client: httpx.Client, text: str, timeout: float = 10) -> str:
    """The mailbox page once it lists ``text`` (the runner sends on its own time)."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get("/demo/mailbox").text
        if text in page or time.monotonic() > deadline:
            return page
        threading.Event().wait(0.02)


def test_the_confirmation_mail_shows_in_the_demo_mailbox(server: LiveServer) -> None:
    server.store.update_site("demo", None, QUIET)
    with server.client(headers={"Origin": HOST_ORIGIN}) as http:
        posted(http, "Following this one.", email="reader@example.org", notify="thread")
    with server.client() as client:
        listing = listing_once_it_shows(client, SUBJECT)
        assert SUBJECT in listing, listing
        [link] = re.findall(r'href="(?:http://127\.0\.0\.1)?(/demo/mailbox/[^"]+)"', listing)
        mail = client.get(link).text
    assert "<dt>To</dt><dd>reader@example.org</dd>" in mail
    assert "<dt>List-Unsubscribe-Post</dt><dd>List-Unsubscribe=One-Click</dd>" in mail
    assert re.search(r"http://127\.0\.0\.1/n/demo/confirm\?token=[\w.%-]+", mail)
