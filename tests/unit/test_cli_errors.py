"""The command line on a database it cannot use: one line on stderr saying what to do, status 2,
never a traceback; ``serve`` refuses an outdated schema. And the options operators reach for:
``--config``/``--database-url`` after the command, ``--version``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import rostra
from rostra.cli import main
from tests.conftest import DATABASES, new_pg_database
from tests.helpers import closed_port, schema_at

ROSTRA = [sys.executable, "-m", "rostra"]
DB_COMMANDS = [["site", "list"], ["staff", "list"], ["thread", "show", "news", "t1"], ["serve"]]


pytestmark = pytest.mark.usefixtures("no_operator_environment")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ROSTRA, *args], capture_output=True, text=True, timeout=120, check=False
    )


def one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rostra: error: ")
    return lines[0]


@pytest.mark.parametrize("command", DB_COMMANDS + [["migrate"]])
@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://root@127.0.0.1/rostra", "'mysql' is not supported"),
        ("/var/lib/rostra/rostra.db", "is not a URL"),
        ("sqlite://", "names no file"),
    ],
)
def test_an_unsupported_url_names_what_would_work(
    capsys: pytest.CaptureFixture[str], command: list[str], url: str, said: str
) -> None:
    line = one_line_error(capsys, main(["--database-url", url, *command]))
    assert said in line
    assert "sqlite:///" in line and "postgresql://" in line


@pytest.mark.parametrize("command", DB_COMMANDS + [["migrate"]])
def test_an_unreachable_server_is_one_line(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    port = closed_port()
    url = f"postgresql://nobody:hunter2@127.0.0.1:{port}/rostra"
    line = one_line_error(capsys, main(["--database-url", url, *command]))
    assert f"cannot use the database at 127.0.0.1:{port}/rostra" in line
    assert "hunter2" not in line


@pytest.mark.parametrize("command", DB_COMMANDS)
def test_a_missing_sqlite_file_is_not_created_by_mistake(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "data" / "rostra.db"
    line = one_line_error(capsys, main(["--database-url", f"sqlite:///{path}", *command]))
    assert "does not exist" in line and "rostra migrate" in line
    assert not path.exists()


@contextmanager
def empty_database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        path = tmp_path / "empty.db"
        path.touch()
        yield f"sqlite:///{path}"
        return
    with new_pg_database("rostra_empty") as url:
        yield url


@pytest.mark.parametrize("kind", DATABASES)
@pytest.mark.parametrize("command", DB_COMMANDS)
def test_an_unmigrated_database_says_run_migrate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, command: list[str]
) -> None:
    with empty_database(kind, tmp_path) as url:
        line = one_line_error(capsys, main(["--database-url", url, *command]))
        assert "no Rostra schema yet: run `rostra migrate`" in line
        # migrate is the fix, and then the command works.
        assert main(["--database-url", url, "migrate"]) == 0
        if command[0] != "serve":
            main(["--database-url", url, *command])
            out, err = capsys.readouterr()
            assert "rostra migrate" not in err


@pytest.mark.parametrize("command", DB_COMMANDS)
def test_an_older_schema_says_run_migrate(
    capsys: pytest.CaptureFixture[str], db_url: str, command: list[str]
) -> None:
    with schema_at(db_url, "0002"):
        line = one_line_error(capsys, main(["--database-url", db_url, *command]))
    assert "schema (0002) is older than this Rostra needs" in line
    assert line.endswith("run `rostra migrate`")


def test_a_newer_schema_says_upgrade_rostra(
    capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    with schema_at(db_url, "9999_from_the_future"):
        line = one_line_error(capsys, main(["--database-url", db_url, "site", "list"]))
    assert "newer than this Rostra knows" in line


def test_serve_refuses_an_outdated_schema_as_a_user_runs_it(tmp_path: Path) -> None:
    # As the example config says to run it: the option after the command.
    db = tmp_path / "rostra.db"
    db.touch()
    config = tmp_path / "rostra.toml"
    config.write_text(f'database_url = "sqlite:///{db}"\nport = {closed_port()}\n')
    done = run("serve", "--config", str(config))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "rostra: error: the database has no Rostra schema yet: run `rostra migrate`"
    )


def test_global_options_are_accepted_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "rostra.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "from-config.db"}"\n')
    assert main(["migrate", "--config", str(config)]) == 0
    assert (tmp_path / "from-config.db").is_file()
    other = tmp_path / "from-option.db"
    assert main(["migrate", "--database-url", f"sqlite:///{other}"]) == 0
    assert other.is_file()
    # Nested commands too, and an option after the command wins over none before it, while one
    # given before is not undone by its absence after.
    assert main(["site", "add", "news", "--name", "The News", "--config", str(config)]) == 0
    assert main(["--config", str(config), "site", "list"]) == 0
    assert main(["site", "list", "--database-url", f"sqlite:///{other}"]) == 0
    out = capsys.readouterr().out
    # Listed from the config's database, not from the other one.
    assert out.count("news\tThe News") == 1


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"rostra {rostra.__version__}"
