"""A site with moderation off publishes every comment at once (README, "Moderation"; the switch
is docs/moderation.md's ``{"moderation": {"enabled": false}}``, set here with the very command the
README gives). The comment is one the full pipeline stops on a site with the defaults, so the
test fails if the switch stops switching the pipeline off. SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from rostra.cli import main
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import api, new_reader, post_comment

pytestmark = pytest.mark.in_process

# Written for this test: abuse the default pipeline does not publish.
ABUSE = "You are a worthless idiot and a disgusting moron, shut up and get lost, you filthy pig."


def test_moderation_off_publishes_what_the_default_pipeline_stops(
    server: LiveServer, db_url: str
) -> None:
    server.store.create_site("open", "Open Paper", [HOST_ORIGIN], {})
    command = ["site", "update", "open", "--settings", '{"moderation": {"enabled": false}}']
    assert main(["--database-url", db_url, *command]) == 0

    with server.client(headers={"Origin": HOST_ORIGIN}) as http:
        stopped = post_comment(http, ABUSE, site="demo", token=new_reader(http, "demo"))
        assert stopped.status_code != 201, stopped.text  # held, rejected or nudged
        listed = http.get(f"{api('demo')}/comments", params={"thread": "t1"})
        assert ABUSE not in listed.text

        shown = post_comment(http, ABUSE, site="open", token=new_reader(http, "open"))
        assert shown.status_code == 201, shown.text
        assert shown.json()["comment"]["status"] == "published"
        listed = http.get(f"{api('open')}/comments", params={"thread": "t1"})
        assert listed.status_code == 200
        assert [c["id"] for c in listed.json()["comments"]] == [shown.json()["comment"]["id"]]
        page = http.get("/t/open", params={"thread": "t1"})
        assert "worthless idiot" in page.text
