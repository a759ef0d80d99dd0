"""Per-site behaviour lives in the site's settings (README, "Configuration": "display depth,
edit window, page size, downvotes, guests, moderation"): each one, set with ``rostra site
update`` as the README shows, changes what the API does for that site and for no other.
(Moderation off has tests/web/test_moderation_off.py.) SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from rostra.cli import main
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import api, as_reader, new_reader, post_comment, posted, problem

pytestmark = pytest.mark.in_process

QUIET_OFF_TOXICITY: dict[str, Any] = {"moderation": {"toxicity": {"enabled": False}}}
ROOTS = (
    "The market moves to the quay in spring.",
    "Parking near the church will be free on Sundays.",
    "Has anyone asked the fishermen what they think?",
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Each request reads the site afresh: what is tested is the setting, not how long a worker
    # may keep a site it read (site_cache_seconds, a few seconds by default).
    return {"site_cache_seconds": 0}


def site_update(db_url: str, slug: str, settings: dict[str, Any]) -> None:
    command = ["site", "update", slug, "--settings", json.dumps(settings)]
    assert main(["--database-url", db_url, *command]) == 0


@pytest.fixture
def sites(server: LiveServer, db_url: str) -> LiveServer:
    """Two sites with the defaults (toxicity off: short test sentences); "strict" is changed."""
    for slug in ("strict", "plain"):
        server.store.create_site(slug, slug.title(), [HOST_ORIGIN], QUIET_OFF_TOXICITY)
    return server


def test_guests_and_downvotes_can_be_switched_off_for_one_site(
    sites: LiveServer, http: httpx.Client, db_url: str
) -> None:
    # Before: a guest comments and votes down on both.
    for slug in ("strict", "plain"):
        target, _ = posted(
            http, "The market moves to the quay.", site=slug, token=new_reader(http, slug)
        )
        down = http.put(
            f"{api(slug)}/comments/{target}/vote",
            json={"value": -1},
            headers=as_reader(new_reader(http, slug)),
        )
        assert down.status_code == 200, down.text
    site_update(db_url, "strict", {"allow_guests": False, "allow_downvotes": False})

    refused = post_comment(http, "Another guest.", site="strict", token=new_reader(http, "strict"))
    problem(refused, 403, "guests-off")
    listed = http.get(f"{api('strict')}/comments", params={"thread": "t1"}).json()
    assert [c["html"] for c in listed["comments"]] == ["<p>The market moves to the quay.</p>"]
    down = http.put(
        f"{api('strict')}/comments/{listed['comments'][0]['id']}/vote",
        json={"value": -1},
        headers=as_reader(new_reader(http, "strict")),
    )
    problem(down, 403, "downvotes-off")
    # The other site keeps its defaults.
    posted(http, "A guest on the other paper.", site="plain", token=new_reader(http, "plain"))


def test_page_size_display_depth_and_edit_window_follow_the_site(
    sites: LiveServer, http: httpx.Client, db_url: str
) -> None:
    site_update(db_url, "strict", {"page_size": 2, "display_depth": 1, "edit_window_seconds": 0})
    token = new_reader(http, "strict")
    roots = [posted(http, text, site="strict", token=token)[0] for text in ROOTS]
    reply, _ = posted(
        http, "A reply.", site="strict", token=new_reader(http, "strict"), parent=roots[-1]
    )
    deeper, _ = posted(
        http, "A reply to the reply.", site="strict", token=new_reader(http, "strict"), parent=reply
    )
    first = http.get(f"{api('strict')}/comments", params={"thread": "t1"}).json()
    assert len(first["comments"]) == 2 and first["next_cursor"]
    newest = first["comments"][0]
    assert newest["id"] == roots[-1]
    # Depth 1: the reply nests once, the reply to it shows flat beside it, naming whom it answers.
    assert [r["id"] for r in newest["replies"]] == [reply, deeper]
    assert newest["replies"][1]["reply_to"] and not newest["replies"][0]["reply_to"]
    edit = http.patch(
        f"{api('strict')}/comments/{roots[0]}", json={"body": "Changed."}, headers=as_reader(token)
    )
    problem(edit, 403, "edit-window-closed")
    plain_token = new_reader(http, "plain")
    mine, _ = posted(http, "On the plain paper.", site="plain", token=plain_token)
    changed = http.patch(
        f"{api('plain')}/comments/{mine}", json={"body": "Changed."}, headers=as_reader(plain_token)
    )
    assert changed.status_code == 200, changed.text
