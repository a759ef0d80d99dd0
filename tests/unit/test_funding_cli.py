"""``rostra campaign`` and ``rostra donation`` as an admin uses them, on SQLite and PostgreSQL:
add prints the public id alone, list shows the totals, offline donations count once per key;
every bad value is one line, status 2, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rostra.cli import main
from rostra.domain.funding import Totals
from rostra.services.funding import Funding
from rostra.storage.funding import SqlFundingStore
from rostra.storage.repository import SqlStore
from rostra.storage.tables import audit_log, campaigns, donation_entries

pytestmark = pytest.mark.usefixtures("no_operator_environment")


def rostra(db_url: str, *args: str) -> int:
    return main(["--database-url", db_url, *args])


def refused(capsys: pytest.CaptureFixture[str], code: int, words: str) -> None:
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert words in err, err


def added(db_url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = rostra(
        db_url, "campaign", "add", "paper", "--title", "Winter drive", "--goal", "5000",
        "--currency", "USD", *extra,
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    return out.strip()


def stored(store: SqlStore, table: object) -> int:
    with store.engines.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_add_list_update_close(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    site = store.create_site("paper", "Paper", [], {})
    public_id = added(db_url, capsys, "--ticks", "0,2500,5000")
    funding = Funding(SqlFundingStore(store.engines))
    campaign = funding.campaign(site, public_id)  # the output is exactly the id
    assert (campaign.goal, campaign.currency, campaign.ticks) == (
        500000,
        "USD",
        (0, 250000, 500000),
    )
    assert rostra(db_url, "campaign", "list", "paper") == 0
    out, _ = capsys.readouterr()
    assert public_id in out and "goal 5000.00 USD" in out and "raised 0.00 USD" in out
    assert rostra(db_url, "campaign", "update", "paper", public_id, "--title", "Spring") == 0
    capsys.readouterr()
    assert rostra(db_url, "campaign", "close", "paper", public_id) == 0
    out, _ = capsys.readouterr()
    assert "closed" in out
    assert not funding.campaign(site, public_id).open
    with store.engines.read.connect() as conn:
        rows = conn.execute(select(audit_log.c.action, audit_log.c.actor_name)).fetchall()
    assert [r.action for r in rows] == ["campaign_add", "campaign_edit", "campaign_close"]
    assert all(r.actor_name.endswith("(command line)") for r in rows)


def test_an_offline_donation_counts_once_per_key(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    site = store.create_site("paper", "Paper", [], {})
    public_id = added(db_url, capsys)
    give = ("donation", "add", "paper", public_id, "--amount", "895", "--method", "cheque",
            "--date", "2026-12-07", "--key", "cheque-1042", "--donor", "R. Ahmed")  # fmt: skip
    assert rostra(db_url, *give) == 0
    out, _ = capsys.readouterr()
    assert "recorded 895.00 USD" in out and "raised 895.00 USD, 1 donations, 1 donors" in out
    refused(capsys, rostra(db_url, *give), "recorded already")
    funding = Funding(SqlFundingStore(store.engines))
    assert funding.campaign(site, public_id).totals == Totals(89500, 1, 1)
    assert rostra(db_url, "donation", "list", "paper", public_id) == 0
    out, _ = capsys.readouterr()
    assert "895.00 USD" in out and "cheque-1042" in out and "R. Ahmed" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--amount", "-5"), "more than zero"),
        (("--amount", "0"), "more than zero"),
        (("--amount", "1.005"), "2 digits after the point"),
        (("--amount", "ten"), "as digits"),
        (("--amount", "99999999999"), "larger than this server accepts"),
        (("--amount", "10", "--currency", "EUR"), "raises USD, not EUR"),
        (("--amount", "10", "--date", "tomorrow"), "YYYY-MM-DD"),
        (("--amount", "10", "--key", "has spaces"), "The key must"),
    ],
)
def test_bad_donations_are_one_line_and_record_nothing(
    db_url: str,
    store: SqlStore,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    words: str,
) -> None:
    store.create_site("paper", "Paper", [], {})
    public_id = added(db_url, capsys)
    base = {"--method": "cash", "--key": "k1"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    merged = [x for k, v in {**base, **given}.items() for x in (k, v)]
    refused(capsys, rostra(db_url, "donation", "add", "paper", public_id, *merged), words)
    assert stored(store, donation_entries) == 0


def test_bad_campaigns_and_wrong_sites_are_one_line(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    store.create_site("paper", "Paper", [], {})
    store.create_site("other", "Other", [], {})
    base = ["campaign", "add", "paper", "--title", "T", "--currency", "USD"]
    refused(capsys, rostra(db_url, *base, "--goal", "-1"), "more than zero")
    refused(capsys, rostra(db_url, *base, "--goal", "50", "--ticks", "0,60"), "between zero")
    refused(capsys, rostra(db_url, *base[:-1], "ZZZ", "--goal", "5"), "not a currency code")
    refused(capsys, rostra(db_url, *base, "--goal", "5", "--from", "2026-12-09",
                           "--to", "2026-12-01"), "end before")  # fmt: skip
    refused(capsys, rostra(db_url, "campaign", "list", "nowhere"), "no site called nowhere")
    assert stored(store, campaigns) == 0
    public_id = added(db_url, capsys)
    refused(capsys, rostra(db_url, "campaign", "close", "other", public_id), "does not exist")
    refused(
        capsys,
        rostra(db_url, "donation", "add", "other", public_id, "--amount", "5", "--method", "cash",
               "--key", "k"),
        "does not exist",
    )  # fmt: skip
    rostra(db_url, "campaign", "close", "paper", public_id)
    capsys.readouterr()
    refused(
        capsys,
        rostra(db_url, "donation", "add", "paper", public_id, "--amount", "5", "--method", "cash",
               "--key", "k"),
        "is closed",
    )  # fmt: skip
    assert stored(store, donation_entries) == 0
