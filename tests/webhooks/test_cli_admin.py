"""``rostra webhook`` beyond add and list, on SQLite and PostgreSQL: edit, disable, enable
(which resets the count of failures), rotate-secret (printed once) and remove, each in the
site's audit log under the operator's name marked as the command line, never with a secret;
``list`` shows an endpoint Rostra disabled with when, after how many failures, the last error
and the command that enables it; a bad edit or an unknown endpoint is one line, status 2,
nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from rostra.cli import main
from rostra.storage.repository import SqlStore
from rostra.storage.tables import audit_log, webhook_endpoints
from rostra.storage.webhooks import SqlWebhookStore
from rostra.webhook_cli import operator


@pytest.fixture(autouse=True)
def no_operator_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in this machine's environment points the command line elsewhere."""
    for name in ("ROSTRA_CONFIG", "ROSTRA_DATABASE_URL", "ROSTRA_PRODUCTION"):
        monkeypatch.delenv(name, raising=False)


URL = "https://93.184.215.14/hooks/rostra"


def webhook(db_url: str, *args: str) -> int:
    return main(["--database-url", db_url, "webhook", *args])


def refused(capsys: pytest.CaptureFixture[str], code: int) -> str:
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def rows(store: SqlStore) -> list[Any]:
    with store.engines.read.connect() as conn:
        return list(conn.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.id)))


def audit(store: SqlStore) -> list[Any]:
    with store.engines.read.connect() as conn:
        return list(conn.execute(select(audit_log).order_by(audit_log.c.id)))


def fail(store: SqlStore, endpoint_id: int, times: int, outcome: str = "timed out") -> None:
    hooks = SqlWebhookStore(store.engines)
    [row] = rows(store)
    for attempt in range(1, times + 1):
        hooks.record_delivery(
            endpoint_id,
            f"evt_{attempt}",
            "comment.held",
            attempt,
            row.created_at,
            None,
            outcome,
            ok=False,
            disable_after=times,
        )


def test_every_command_is_audited_as_the_command_line(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    site = store.create_site("mypaper", "My paper", [], {})
    assert webhook(db_url, "add", "mypaper", URL, "--event", "comment.held") == 0
    [row] = rows(store)
    first_secret = row.secret
    ident = str(row.id)
    assert webhook(db_url, "edit", "mypaper", ident, "--event", "comment.decided") == 0
    assert rows(store)[0].events == "comment.decided" and rows(store)[0].url == URL
    other = "https://93.184.215.15/hooks"
    assert webhook(db_url, "edit", "mypaper", ident, "--url", other) == 0
    assert rows(store)[0].url == other and rows(store)[0].events == "comment.decided"
    assert webhook(db_url, "disable", "mypaper", ident) == 0
    assert not rows(store)[0].enabled
    assert webhook(db_url, "enable", "mypaper", ident) == 0
    assert rows(store)[0].enabled
    capsys.readouterr()
    assert webhook(db_url, "rotate-secret", "mypaper", ident) == 0
    out, _ = capsys.readouterr()
    new_secret = rows(store)[0].secret
    assert new_secret != first_secret and new_secret in out
    assert webhook(db_url, "list", "mypaper") == 0
    out, _ = capsys.readouterr()
    assert new_secret not in out and first_secret not in out
    assert webhook(db_url, "remove", "mypaper", ident) == 0
    entries = audit(store)
    assert [e.action for e in entries] == [
        "webhook_add",
        "webhook_edit",
        "webhook_edit",
        "webhook_disable",
        "webhook_enable",
        "webhook_rotate_secret",
        "webhook_delete",
    ]
    assert {e.site_id for e in entries} == {site.id}
    assert {e.actor_id for e in entries} == {None}
    assert {e.actor_name for e in entries} == {operator()}
    assert operator().endswith(" (command line)")
    assert all(first_secret not in e.detail and new_secret not in e.detail for e in entries)


def test_list_shows_a_disabled_endpoint_and_enable_resets_its_count(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    store.create_site("mypaper", "My paper", [], {})
    assert webhook(db_url, "add", "mypaper", URL, "--event", "comment.held") == 0
    [row] = rows(store)
    fail(store, row.id, 3)
    [row] = rows(store)
    assert not row.enabled and row.consecutive_failures == 3
    capsys.readouterr()
    assert webhook(db_url, "list", "mypaper") == 0
    out, _ = capsys.readouterr()
    when = row.disabled_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f"DISABLED after 3 failures on {when}: timed out" in out
    assert f"rostra webhook enable mypaper {row.id}" in out
    assert webhook(db_url, "enable", "mypaper", str(row.id)) == 0
    [row] = rows(store)
    assert row.enabled and row.consecutive_failures == 0 and row.disabled_reason is None
    capsys.readouterr()
    assert webhook(db_url, "list", "mypaper") == 0
    out, _ = capsys.readouterr()
    assert "DISABLED" not in out and "\tenabled\t" in out and "failures in a row: 0" in out
    # A disable by hand is said as such.
    assert webhook(db_url, "disable", "mypaper", str(row.id)) == 0
    capsys.readouterr()
    webhook(db_url, "list", "mypaper")
    assert "disabled by an admin" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--url", "http://127.0.0.1:8080/hook"), "private, loopback"),
        (("--url", "https://93.184.215.14/a\r\nHost: evil"), "control characters"),
        (("--url", "gopher://93.184.215.14/"), "https://"),
    ],
)
def test_a_bad_edit_is_one_line_and_changes_nothing(
    db_url: str,
    store: SqlStore,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    words: str,
) -> None:
    store.create_site("mypaper", "My paper", [], {})
    assert webhook(db_url, "add", "mypaper", URL, "--event", "comment.held") == 0
    [before] = rows(store)
    capsys.readouterr()
    assert words in refused(capsys, webhook(db_url, "edit", "mypaper", str(before.id), *args))
    assert rows(store) == [before]
    assert [e.action for e in audit(store)] == ["webhook_add"]


def test_an_unknown_endpoint_is_one_line_for_every_command(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    store.create_site("mypaper", "My paper", [], {})
    other = store.create_site("other", "Other", [], {})
    assert webhook(db_url, "add", "other", URL, "--event", "comment.held") == 0
    [theirs] = SqlWebhookStore(store.engines).endpoints(other.id)
    capsys.readouterr()
    for command in ("edit", "enable", "disable", "rotate-secret", "remove"):
        for ident in ("99", str(theirs.id)):  # none, or another site's
            err = refused(capsys, webhook(db_url, command, "mypaper", ident))
            assert "does not exist" in err, (command, err)
    assert [e.action for e in audit(store)] == ["webhook_add"]
