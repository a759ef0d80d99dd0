"""The demo's mailbox: what the demo's SMTP sink catches over real SMTP is listed at
``/demo/mailbox`` and shown there safely (a hostile mail's script stays text, its HTML part is
escaped into a sandboxed iframe), in English and French; and ``rostra demo`` as a user runs it
catches what ``rostra mail test`` sends it and, on its own, the seeded followers' notifications
and digest."""

from __future__ import annotations

import functools
import html
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rostra.config import load_settings
from rostra.demo import mailbox as mailbox_module
from rostra.demo.app import create_demo_app
from rostra.demo.followers import FOLLOWERS
from rostra.demo.mail_sink import BoundController, start_sink
from rostra.demo.mailbox import Mailbox
from rostra.notify.content import CommentNotice, comment_mail
from rostra.notify.mail import SmtpSender
from rostra.notify.message import compose
from tests.conftest import SECRET, LiveServer
from tests.helpers import closed_port

pytestmark = pytest.mark.in_process

HOSTILE = CommentNotice(
    site_name="The Courier",
    article_title="Bridge <script>alert('title')</script>",
    author_name="Mallory <img src=x onerror=alert(1)>",
    body="Look: <script>alert('body')</script> and <iframe src=https://evil.example></iframe>",
    url="https://news.example/bridge#c1",
)


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


def send(sink: BoundController, notice: CommentNotice, key: str = "k1", **extra: Any) -> None:
    settings = load_settings(
        env={}, secret_key=SECRET, smtp_url=sink.url, mail_from="Courier <c@news.example>"
    )
    mail = comment_mail(settings, notice, to="reader@example.org", key=key, **extra)
    SmtpSender.from_settings(settings).send(compose(mail))


def mail_links(page: str) -> list[str]:
    return re.findall(r'href="(?:http://127\.0\.0\.1)?(/demo/mailbox/[^"]+)"', page)


def test_an_empty_mailbox_says_how_to_fill_it(server: LiveServer) -> None:
    with server.client() as client:
        page = client.get("/demo/mailbox")
    assert page.status_code == 200
    assert "No mail yet. Try: rostra mail test you@example.org" in page.text
    assert mail_links(page.text) == []


def test_a_caught_mail_is_listed_and_shown(server: LiveServer, sink: BoundController) -> None:
    calm = CommentNotice(
        "The Courier", "The bridge", "Ada", "It *opens* again.", "https://n.example/1"
    )
    send(sink, calm, unsubscribe_url="https://n.example/u/1")
    with server.client() as client:
        listing = client.get("/demo/mailbox")
        assert listing.status_code == 200
        assert "1 mail caught, newest first" in listing.text
        assert "Ada commented on “The bridge”" in listing.text
        [link] = mail_links(listing.text)
        page = client.get(link)
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == mailbox_module.PAGE_POLICY
    assert "<dt>List-Unsubscribe-Post</dt><dd>List-Unsubscribe=One-Click</dd>" in page.text
    assert "<dt>To</dt><dd>reader@example.org</dd>" in page.text
    assert "It *opens* again." in page.text  # the plain-text part, as written
    srcdoc = re.search(r'<iframe class="mail-html" sandbox="" [^>]*srcdoc="([^"]*)"', page.text)
    assert srcdoc, page.text
    assert "<em>opens</em>" in html.unescape(srcdoc.group(1))


def test_a_hostile_mail_stays_text(server: LiveServer, sink: BoundController) -> None:
    send(sink, HOSTILE)
    with server.client() as client:
        listing = client.get("/demo/mailbox")
        [link] = mail_links(listing.text)
        page = client.get(link)
    for body in (listing.text, page.text):
        assert "<script" not in body.lower()
        assert "<img" not in body.lower()
        assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in body  # the subject
    # The HTML part is one attribute value, escaped; inside it the mail's own escaping holds.
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page.text).group(1))  # type: ignore[union-attr]
    assert "<script" not in inner.lower() and "<iframe" not in inner.lower()
    assert "Look: &lt;script&gt;alert('body')&lt;/script&gt;" in inner
    assert re.findall(r"<iframe\b[^>]*>", page.text) == [
        re.search(r'<iframe class="mail-html"[^>]*>', page.text).group(0)  # type: ignore[union-attr]
    ]
    # The plain-text part carries the body as written: shown escaped, in <pre>.
    assert "Look: &lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;" in page.text


def test_the_mailbox_speaks_french(server: LiveServer, sink: BoundController) -> None:
    send(sink, HOSTILE, language="fr")
    with server.client(headers={"Accept-Language": "fr"}) as client:
        listing = client.get("/demo/mailbox")
        page = client.get(mail_links(listing.text)[0])
    assert listing.headers["content-language"] == "fr"
    assert "Boîte aux lettres de la démo" in listing.text
    assert "1 courriel intercepté, le plus récent en premier" in listing.text
    assert "a commenté" in listing.text
    assert "Partie texte brut" in page.text and "Retour à la boîte aux lettres" in page.text


def test_an_unknown_or_odd_mail_name_is_a_readable_404(
    server: LiveServer, sink: BoundController
) -> None:
    send(sink, HOSTILE)
    with server.client() as client:
        for name in ("1234.M1P1Q1.nowhere", ".new", "%3Cscript%3E", "a%5C..%5C..%5Cetc"):
            answer = client.get(f"/demo/mailbox/{name}")
            assert answer.status_code == 404, name
            assert "We couldn&#39;t find that page" in answer.text, name


def test_the_mailbox_keeps_the_newest(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mailbox_module, "KEEP", 3)
    box = Mailbox(folder)
    for n in range(5):
        box.deliver(f"Subject: mail {n}\r\n\r\nbody {n}\r\n".encode())
    assert [m.header("Subject") for m in box.mails()] == ["mail 4", "mail 3", "mail 2"]


# -- rostra demo, as a user runs it --------------------------------------------------------------


def test_rostra_demo_catches_what_rostra_mail_test_sends(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
    env |= {"ROSTRA_SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1"}
    rostra = [sys.executable, "-m", "rostra", "--database-url", f"sqlite:///{tmp_path / 'd.db'}"]
    subprocess.run([*rostra, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    port = closed_port()
    demo = subprocess.Popen(
        [*rostra, "demo", "--port", str(port), "--smtp-port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sink_url, said = None, []
        assert demo.stdout is not None
        for line in demo.stdout:  # waits on what the demo says, not on a clock
            said.append(line)
            found = re.search(r"caught by (smtp://127\.0\.0\.1:\d+)", line)
            if found:
                sink_url = found.group(1)
            if "Uvicorn running on" in line:  # listening (startup complete comes before)
                break
        assert said and "Uvicorn running on" in said[-1], "".join(said)
        assert sink_url, "rostra demo did not say where its mail sink is"
        sent = subprocess.run(
            [sys.executable, "-m", "rostra", "mail", "test", "newcomer@example.org"],
            env=env | {"ROSTRA_SMTP_URL": sink_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stderr
        page = httpx.get(f"http://127.0.0.1:{port}/demo/mailbox", timeout=10)
        assert page.status_code == 200
        assert "Rostra test mail" in page.text and "newcomer@example.org" in page.text
        assert '<span class="mail-kind mail-kind-test">Test</span>' in page.text
        # What the seed's followers were sent by the demo's own runner, with nobody's help.
        deadline = time.monotonic() + 60
        while not all(f"mail-kind-{kind}" in page.text for kind in ("notification", "digest")):
            assert time.monotonic() < deadline, page.text
            threading.Event().wait(0.1)
            page = httpx.get(f"http://127.0.0.1:{port}/demo/mailbox", timeout=10)
        for follower in FOLLOWERS:
            assert f"<td>{follower.address}</td>" in page.text
    finally:
        demo.terminate()
        demo.wait(timeout=30)
        if demo.stdout is not None:
            demo.stdout.close()
