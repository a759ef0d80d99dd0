"""Feed links come from ``public_url``, never from the ``Host`` a request names (README,
"Feeds": "Links are built from ``public_url``").

The server knows its public address and answers an internal name too (``allowed_hosts``); a
feed asked for under the internal name (first, so that a cache would keep what it built) links
only to the public address, and a made-up ``Host`` gets 400, not a feed. SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from tests.conftest import HOST_ORIGIN, SECRET, LiveServer
from tests.helpers import QUIET, reader_author

pytestmark = pytest.mark.in_process

PUBLIC = "https://comments.example"
FEEDS = ("/feeds/news.atom", "/feeds/news/thread.atom?thread=budget")


@pytest.mark.parametrize(
    "settings_overrides", [{"public_url": PUBLIC, "allowed_hosts": ["int.lan"]}]
)
def test_feed_links_use_public_url_whatever_the_host(
    server: LiveServer, settings_overrides: dict[str, Any]
) -> None:
    site = server.store.create_site("news", "The Courier", [HOST_ORIGIN], QUIET)
    tokens = ReaderTokens(Signer(SECRET))
    discussion = Discussion(server.store, tokens)
    # No article address: the entry links to Rostra's own thread page, built from the base.
    request = PostRequest(thread_external_id="budget", body="The vote was close.")
    comment = discussion.post(site, request, reader_author(tokens, site.id)).public_id

    with server.client() as client:
        for path in FEEDS:
            for host in ("evil.example", "int.lan.evil.example", "127.0.0.1"):
                refused = client.get(path, headers={"Host": host})
                assert refused.status_code == 400, (path, host)
                assert "evil" not in refused.text
            for host in ("int.lan", "comments.example", "INT.LAN:8443"):
                answer = client.get(path, headers={"Host": host})
                assert answer.status_code == 200, (path, host, answer.text)
                links = re.findall(r'(?:href="|<id>)([^"<]+)', answer.text)
                assert links, answer.text
                assert all(link.startswith(PUBLIC + "/") for link in links), (host, links)
                assert "int.lan" not in answer.text.lower() and "127.0.0.1" not in answer.text
                assert f"{PUBLIC}/api/v1/sites/news/comments/{comment}" in links
                assert f"{PUBLIC}/t/news?thread=budget#c-{comment}" in [
                    link.replace("&amp;", "&") for link in links
                ]
