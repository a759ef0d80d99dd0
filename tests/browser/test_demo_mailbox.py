"""The demo mailbox in real Chromium: a hostile mail's HTML part shows as a page inside the
sandboxed iframe, and nothing in it runs or loads (no script, no event handler, no remote
image), nor reaches the page around it."""

from __future__ import annotations

import functools
import smtplib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from rostra.demo.app import create_demo_app
from rostra.demo.mail_sink import BoundController, start_sink
from rostra.demo.mailbox import Mailbox
from tests.conftest import HOST_ORIGIN, LiveServer

# Written to do harm if it ever ran: each would leave a trace the test looks for.
HOSTILE_HTML = f"""<!doctype html><html><body>
<p id="shown">Visible text of the mail</p>
<script>console.log("mail-script-ran"); parent.document.title = "pwned";</script>
<img src="{HOST_ORIGIN}/pixel.png" onerror="console.log('mail-handler-ran')">
<form action="{HOST_ORIGIN}/steal"><input name="q" value="x"></form>
</body></html>"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "caught"


@pytest.fixture
def app_factory(folder: Path) -> Callable[..., Any]:
    return functools.partial(create_demo_app, mailbox=folder)


@pytest.fixture
def sink(folder: Path) -> Iterator[BoundController]:
    controller = start_sink(Mailbox(folder))
    yield controller
    controller.stop()


def test_a_hostile_html_part_is_shown_and_does_nothing(
    server: LiveServer, sink: BoundController, browser: Browser
) -> None:
    # A mail from anywhere, not from Rostra's builder: the sink takes what it is given.
    message = EmailMessage()
    message["From"] = "someone@example.org"
    message["To"] = "reader@example.org"
    message["Subject"] = "Hostile HTML"
    message.set_content("plain part")
    message.add_alternative(HOSTILE_HTML, subtype="html")
    with smtplib.SMTP(sink.hostname, sink.port, timeout=10) as client:
        client.send_message(message)

    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    requests: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{server.url}/demo/mailbox")
    page.click("text=Hostile HTML")
    page.wait_for_url("**/demo/mailbox/*")
    title = page.title()
    frame = page.frame_locator("iframe.mail-html")
    assert frame.locator("#shown").inner_text() == "Visible text of the mail"
    assert page.title() == title == "Hostile HTML | Demo mailbox"
    assert not [line for line in console if "mail-" in line and "ran" in line], console
    assert not [url for url in requests if url.startswith(HOST_ORIGIN)], requests
    assert "plain part" in page.inner_text("pre.mail-text")
    context.close()
