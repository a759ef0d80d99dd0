"""``rostra campaign add|update --presets --minimum``: a campaign's own gift choices (SQLite
and PostgreSQL), kept in minor units, refused in one line when they cannot be, and cleared
back to the site's with an empty value."""

from __future__ import annotations

import pytest

from rostra.cli import main
from rostra.services.funding import Funding
from rostra.storage.funding import SqlFundingStore
from rostra.storage.repository import SqlStore


def test_presets_and_minimum_from_the_command_line(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    site = store.create_site("paper", "Paper", [], {})
    code = main(
        ["--database-url", db_url, "campaign", "add", "paper", "--title", "Winter", "--goal",
         "5000", "--currency", "EUR", "--presets", "10,25.50,50", "--minimum", "5"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    cid = out.strip()
    funding = Funding(SqlFundingStore(store.engines))
    found = funding.campaign(site, cid)
    assert (found.presets, found.minimum_minor) == ((1000, 2550, 5000), 500)
    for bad, words in (("1,2", "each at least the minimum"), ("ten", "Write the amount as digits")):
        code = main(
            ["--database-url", db_url, "campaign", "update", "paper", cid, "--presets", bad]
        )
        out, err = capsys.readouterr()
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err
    assert funding.campaign(site, cid).presets == (1000, 2550, 5000)  # nothing changed
    code = main(
        ["--database-url", db_url, "campaign", "update", "paper", cid, "--presets", "",
         "--minimum", ""]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    found = funding.campaign(site, cid)
    assert (found.presets, found.minimum_minor) == ((), 0)
