"""The CMS signature, done as the README tells a newsroom to do it ("Putting it under your
articles"): the key comes from ``rostra thread key <site>`` (run under the server's secret, as an
operator runs it), the signature is the hex HMAC-SHA256 of ``"<thread>\\n<url>\\n<title>"``,
computed here with the ``hmac`` module and nothing of Rostra's, and it travels in the field the
embed sends for ``data-rostra-signature``. The next published comment changes the title and URL;
a wrong signature changes nothing. SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest

from rostra.cli import main
from tests.conftest import HOST_ORIGIN, SECRET, LiveServer
from tests.helpers import API, new_reader, post_comment

pytestmark = pytest.mark.in_process

THREAD = "article-1234"
FIRST_URL = f"{HOST_ORIGIN}/2026/11/article"
# Not on the site's allowed origins: only the signature can make it the thread's address.
MOVED_URL = "https://news.example.com/2026/11/article-renamed"


def cli_key(db_url: str, capsys: pytest.CaptureFixture[str]) -> bytes:
    capsys.readouterr()
    assert main(["--database-url", db_url, "thread", "key", "demo"]) == 0
    printed = capsys.readouterr().out.strip()
    assert len(printed) == 64
    return bytes.fromhex(printed)


def by_hand(key: bytes, thread: str, url: str, title: str) -> str:
    return hmac.new(key, f"{thread}\n{url}\n{title}".encode(), hashlib.sha256).hexdigest()


def listed(http: httpx.Client) -> tuple[str, str]:
    answer = http.get(f"{API}/comments", params={"thread": THREAD})
    assert answer.status_code == 200, answer.text
    meta = answer.json()["thread"]
    return meta["title"], meta["url"]


def comment(http: httpx.Client, body: str, **fields: str) -> None:
    # Each by a reader of their own, as on a real article: one reader's limits are not the point.
    answer = post_comment(http, body, thread=THREAD, token=new_reader(http), **fields)
    assert answer.status_code == 201, answer.text


def test_a_signature_made_by_hand_under_the_printed_key_retitles_and_moves_the_thread(
    quiet: LiveServer,
    http: httpx.Client,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROSTRA_SECRET_KEY", SECRET)  # the operator's CLI, the server's secret
    key = cli_key(db_url, capsys)
    comment(http, "The first word on the article.", url=FIRST_URL, title="Draft headline")
    assert listed(http) == ("Draft headline", FIRST_URL)

    wrong = [
        by_hand(b"not the key", THREAD, MOVED_URL, "Final headline"),  # another key
        by_hand(key, THREAD, MOVED_URL, "Another headline"),  # for another title
        by_hand(key, "article-9", MOVED_URL, "Final headline"),  # for another thread
        by_hand(key, THREAD, MOVED_URL, "Final headline")[:-2],  # cut short
    ]
    for n, signature in enumerate(wrong):
        comment(
            http,
            f"Unsigned change number {n}.",
            url=MOVED_URL,
            title="Final headline",
            signature=signature,
        )
        assert listed(http) == ("Draft headline", FIRST_URL), signature

    signature = by_hand(key, THREAD, MOVED_URL, "Final headline")
    comment(
        http,
        "Now the headline is final.",
        url=MOVED_URL,
        title="Final headline",
        signature=signature,
    )
    assert listed(http) == ("Final headline", MOVED_URL)
    page = http.get("/t/demo", params={"thread": THREAD})
    assert "Final headline" in page.text and MOVED_URL in page.text
