"""The desk's "My alerts" page (SQLite and PostgreSQL): a moderator sets an address and a cadence
and sees them again, in full, on their own page; a form with a wrong CSRF token, an address with
CR/LF or too long, or an unknown cadence is answered by a readable desk page with a 4xx and
writes nothing. The migration of the alerts' tables matches them and goes down and up."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from rostra.domain.desk import Role
from rostra.storage.migrate import current, downgrade, upgrade
from rostra.storage.repository import SqlStore
from rostra.storage.schema import SCHEMA_HEAD
from rostra.storage.tables import metadata, staff_alerts
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import PASSWORD, QUIET, desk_client, sign_in, staff_accounts

pytestmark = pytest.mark.in_process


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A mail server is named (alerts can be turned on only then); no job here runs to use it.
    return {"jobs_in_process": False, "smtp_url": "smtp://127.0.0.1:9"}


def rows(server: LiveServer) -> list[Any]:
    with server.store.engines.read.connect() as conn:
        return [tuple(r) for r in conn.execute(select(staff_alerts))]


def test_a_moderator_sets_their_alerts_and_bad_forms_write_nothing(server: LiveServer) -> None:
    site = server.store.create_site("mine", "Mine", [HOST_ORIGIN], QUIET)
    staff_accounts(server.store).create("mod", PASSWORD, Role.MODERATOR, [site.id], "Mo")
    with desk_client(server) as client:
        csrf = sign_in(client, "mod", csrf_from="/moderation/alerts")
        form = {"csrf": csrf, "email": "mo@desk.example", "cadence": "hourly", "language": "fr"}
        saved = client.post("/moderation/alerts", data=form)
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == "/moderation/alerts?done=saved"
        shown = client.get("/moderation/alerts?done=saved")
        assert 'value="mo@desk.example"' in shown.text
        assert 'value="hourly" checked' in shown.text
        [row] = rows(server)
        assert "mo@desk.example" not in str(row)  # sealed, never in clear
        for changed, status, code in [
            ({"csrf": "0" * 64}, 403, None),
            ({"email": "mo@desk.example\r\nBcc: all@x.example"}, 422, "invalid-email"),
            ({"email": "m" * 250 + "@desk.example"}, 422, "invalid-email"),
            ({"email": "", "cadence": "immediate"}, 422, "alerts-need-email"),
            ({"cadence": "weekly"}, 422, "invalid-cadence"),
            ({"language": "xx"}, 422, "invalid-language"),
        ]:
            answer = client.post("/moderation/alerts", data={**form, **changed})
            assert answer.status_code == status, (changed, answer.text)
            assert answer.headers["content-type"].startswith("text/html")
            assert "Traceback" not in answer.text
            if code is not None:
                assert f'data-code="{code}"' in answer.text
            assert rows(server) == [row]
        off = client.post("/moderation/alerts", data={**form, "email": "", "cadence": "off"})
        assert off.status_code == 303
        assert rows(server)[0][2] is None  # the address is gone


def test_the_alerts_migration_matches_the_tables_and_goes_down_and_up(store: SqlStore) -> None:
    engine = store.engines.write
    assert current(engine) == SCHEMA_HEAD
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    downgrade(engine, "0007")
    names = set(inspect(engine).get_table_names())
    assert not {"staff_alerts", "staff_alert_items", "staff_alert_marks"} & names
    upgrade(engine)
    assert current(engine) == SCHEMA_HEAD
    assert {"staff_alerts", "staff_alert_items", "staff_alert_marks"} <= set(
        inspect(engine).get_table_names()
    )


def test_rostra_staff_alerts_sets_them_and_refuses_a_bad_address(
    store: SqlStore,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rostra.cli import main

    staff_accounts(store).create("mod", PASSWORD, Role.MODERATOR, [])
    args = ["--database-url", db_url, "staff", "alerts", "mod"]
    # No mail server: alerts cannot be turned on, in one line, nothing written.
    assert main([*args, "--email", "mo@desk.example", "--cadence", "daily"]) == 2
    assert "Alerts need a mail server" in capsys.readouterr().err
    with store.engines.read.connect() as conn:
        assert conn.execute(select(staff_alerts)).first() is None
    monkeypatch.setenv("ROSTRA_SMTP_URL", "smtp://127.0.0.1:9")
    assert main([*args, "--email", "mo@desk.example", "--cadence", "daily"]) == 0
    assert "alerts daily to m…@desk.example" in capsys.readouterr().out
    with store.engines.read.connect() as conn:
        [row] = [tuple(r) for r in conn.execute(select(staff_alerts))]
    assert row[3] == "daily" and "mo@desk.example" not in str(row)
    assert main([*args, "--email", "mo@desk.example\nBcc: x@y.example"]) != 0
    with store.engines.read.connect() as conn:
        assert [tuple(r) for r in conn.execute(select(staff_alerts))] == [row]
