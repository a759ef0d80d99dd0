"""``rostra staff``: accounts made and changed on the command line sign in to the desk.

README.md ("Moderation"): "Moderator and admin accounts (argon2id, throttled sign-in, ...):
``rostra staff add alice --role moderator --site mypaper``." The command runs here as a user runs
it (``rostra.cli.main``, the password on standard input as ``--password-stdin`` reads it) on the
server's own database, SQLite and PostgreSQL; then the account signs in at ``/moderation/login``
and sees its site's queue and not another's. ``passwd``, ``sites``, ``disable``, ``enable`` and
``list`` change what signing in allows, and a site that does not exist creates nothing.
"""

from __future__ import annotations

import io

import pytest

from rostra.cli import main
from tests.conftest import LiveServer
from tests.helpers import desk_client, sign_in

pytestmark = pytest.mark.in_process

FIRST = "a first long and careful passphrase"
SECOND = "a second, even longer passphrase"


def staff(
    db_url: str, *args: str, password: str | None = None, monkeypatch: pytest.MonkeyPatch
) -> int:
    """``rostra --database-url DB staff ARGS`` with ``password`` on standard input."""
    monkeypatch.setattr("sys.stdin", io.StringIO("" if password is None else password + "\n"))
    return main(["--database-url", db_url, "staff", *args])


SITES = ("mypaper", "other")


def desk_for(server: LiveServer, username: str, password: str) -> set[str] | None:
    """The sites whose pending queue ``username`` reads once signed in with ``password``, or
    ``None`` when the desk refuses to sign them in."""
    with desk_client(server) as client:
        data = {"username": username, "password": password}
        answer = client.post("/moderation/login", data=data)
        if answer.status_code != 303:
            assert 400 <= answer.status_code < 500, answer.text
            assert "Traceback" not in answer.text
            return None
        sign_in(client, username, password=password)  # and the desk hands it a CSRF token
        readable = set()
        for site in SITES:
            queue = client.get(f"/moderation/{site}/queue/pending")
            assert queue.status_code in (200, 403, 404), queue.text
            if queue.status_code == 200:
                readable.add(site)
        return readable


@pytest.fixture
def sites(server: LiveServer) -> None:
    server.store.create_site("mypaper", "My Paper", [], {})
    server.store.create_site("other", "Other Paper", [], {})


@pytest.mark.usefixtures("sites")
def test_the_readme_command_makes_a_moderator_who_signs_in(
    server: LiveServer,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ("add", "alice", "--role", "moderator", "--site", "mypaper", "--password-stdin")
    assert staff(db_url, *args, password=FIRST, monkeypatch=monkeypatch) == 0
    assert "created moderator alice" in capsys.readouterr().out

    assert staff(db_url, "list", monkeypatch=monkeypatch) == 0
    assert "alice\tmoderator\tmypaper" in capsys.readouterr().out

    assert desk_for(server, "alice", "not the password") is None
    assert desk_for(server, "alice", FIRST) == {"mypaper"}  # a moderator of mypaper only


@pytest.mark.usefixtures("sites")
def test_passwd_sites_disable_and_enable_change_what_signing_in_allows(
    server: LiveServer,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add = ("add", "bob", "--site", "mypaper", "--password-stdin")
    assert staff(db_url, *add, password=FIRST, monkeypatch=monkeypatch) == 0

    passwd = ("passwd", "bob", "--password-stdin")
    assert staff(db_url, *passwd, password=SECOND, monkeypatch=monkeypatch) == 0
    assert desk_for(server, "bob", FIRST) is None
    assert desk_for(server, "bob", SECOND) == {"mypaper"}

    assert staff(db_url, "sites", "bob", "--site", "other", monkeypatch=monkeypatch) == 0
    assert desk_for(server, "bob", SECOND) == {"other"}

    assert staff(db_url, "disable", "bob", monkeypatch=monkeypatch) == 0
    capsys.readouterr()
    assert staff(db_url, "list", monkeypatch=monkeypatch) == 0
    assert "bob\tmoderator\tother (disabled)" in capsys.readouterr().out
    assert desk_for(server, "bob", SECOND) is None

    assert staff(db_url, "enable", "bob", monkeypatch=monkeypatch) == 0
    assert desk_for(server, "bob", SECOND) == {"other"}


@pytest.mark.usefixtures("sites")
def test_an_admin_moderates_every_site(
    server: LiveServer,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ("add", "carol", "--role", "admin", "--password-stdin")
    assert staff(db_url, *args, password=FIRST, monkeypatch=monkeypatch) == 0
    assert staff(db_url, "list", monkeypatch=monkeypatch) == 0
    assert "carol\tadmin\tall sites" in capsys.readouterr().out
    assert desk_for(server, "carol", FIRST) == {"mypaper", "other"}


@pytest.mark.usefixtures("sites")
def test_a_site_that_does_not_exist_creates_nothing(
    server: LiveServer,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ("add", "dave", "--site", "nosuchpaper", "--password-stdin")
    assert staff(db_url, *args, password=FIRST, monkeypatch=monkeypatch) == 2
    error = capsys.readouterr().err
    assert error.startswith("rostra: error: ") and "nosuchpaper" in error
    assert "Traceback" not in error
    assert staff(db_url, "list", monkeypatch=monkeypatch) == 0
    assert "dave" not in capsys.readouterr().out
    assert desk_for(server, "dave", FIRST) is None
