"""``make test`` does what the README says it does.

README.md: "``make test`` installs what the tests need (Debian's chromium included) and runs the
whole suite on SQLite and PostgreSQL", "starts the local PostgreSQL ... and Redis when they are
down. It runs ruff, mypy (strict), import-linter and pytest; every storage and web test runs
once on an SQLite file and once on PostgreSQL, and the browser tests drive Debian's Chromium
through Playwright (on the first database of the list only)". Here make itself says what the
target would run (``make -n``: commands printed, none run), and the suite's own fixtures say
which databases a test gets when nothing in the environment narrows them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers import make_dry_run

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_test_commands() -> list[str]:
    """The commands ``make test`` would run, in order (make's dry run, nothing executed)."""
    return make_dry_run("test")


@pytest.fixture(scope="module")
def commands() -> list[str]:
    return make_test_commands()


def index_of(commands: list[str], tool: str, *words: str) -> int:
    """Where ``make test`` runs ``tool`` (the program's own name, or ``python -m tool``) with
    every one of ``words`` among its arguments."""
    for number, command in enumerate(commands):
        argv = command.split()
        if argv[0].rsplit("/", 1)[-1] == tool:
            args = argv[1:]
        elif argv[1:3] == ["-m", tool]:
            args = argv[3:]
        else:
            continue
        if all(word in args for word in words):
            return number
    raise AssertionError(f"make test never runs {tool} {' '.join(words)}: {commands}")


def pytest_arguments(commands: list[str]) -> list[str]:
    argv = commands[index_of(commands, "pytest")].split()
    return argv[argv.index("pytest") + 1 :]


def test_it_installs_what_the_tests_need(commands: list[str]) -> None:
    # The package with its test extra, and Debian's chromium when it is missing.
    install = commands[index_of(commands, "pip", "install", "-e")]
    assert ".[test]" in install.replace("'", "")
    chromium = next(c for c in commands if "apt-get install" in c)
    assert "chromium" in chromium.split()
    assert "command -v chromium" in chromium  # only when it is not there already


def test_it_starts_postgresql_and_redis_when_they_are_down(commands: list[str]) -> None:
    assert "scripts/services.sh" in commands
    script = (ROOT / "scripts" / "services.sh").read_text(encoding="utf-8")
    assert "pg_isready -h 127.0.0.1 -p 5432" in script and "pg_ctlcluster" in script
    assert "redis-cli -h 127.0.0.1 -p 6379 ping" in script and "redis-server" in script


def test_it_runs_ruff_mypy_strict_import_linter_then_pytest(commands: list[str]) -> None:
    ruff = index_of(commands, "ruff", "check")
    ruff_format = index_of(commands, "ruff", "format", "--check")
    mypy = index_of(commands, "mypy")
    lint_imports = index_of(commands, "lint-imports")
    pytest_run = index_of(commands, "pytest")
    for linted in (commands[ruff], commands[ruff_format]):
        assert {"src", "tests"} <= set(linted.split()), linted
    assert max(ruff, ruff_format, mypy, lint_imports) < pytest_run  # lint first, then tests
    assert pytest_run == len(commands) - 1

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["mypy"]["strict"] is True
    assert config["tool"]["mypy"]["files"] == ["src/rostra"]
    assert config["tool"]["importlinter"]["contracts"]


def test_pytest_runs_the_whole_suite(commands: list[str]) -> None:
    # No path, marker or keyword narrows it: every test under testpaths runs.
    words = pytest_arguments(commands)
    assert not {"-m", "-k", "--deselect", "--ignore", "-x"} & set(words), words
    assert not [w for w in words if w.startswith("tests") or w.endswith(".py")], words
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = config["tool"]["pytest"]["ini_options"]
    assert options["testpaths"] == ["tests"]
    assert "-m" not in options.get("addopts", "").split()


def databases_the_suite_uses(narrowed: str | None = None) -> tuple[list[str], list[str]]:
    """(every storage and web test's databases, the browser tests'), as the fixtures decide
    them with ``ROSTRA_TEST_DATABASES`` set to ``narrowed``, or not set."""
    env = {k: v for k, v in os.environ.items() if k != "ROSTRA_TEST_DATABASES"}
    if narrowed is not None:
        env["ROSTRA_TEST_DATABASES"] = narrowed
    probe = (
        "import tests.conftest as c, tests.browser.conftest as b;"
        "print(','.join(c.DATABASES)); print(','.join(b.BROWSER_DATABASES))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    every, browser = done.stdout.split()
    return every.split(","), browser.split(",")


def test_storage_and_web_tests_run_on_both_databases_and_browser_tests_on_the_first() -> None:
    every, browser = databases_the_suite_uses()
    assert every == ["sqlite", "postgresql"]
    assert browser == ["sqlite"]
    # Only the root conftest (every test) and the browser one (the first database) decide it.
    # (Spelt in two parts, so this file does not find itself.)
    fixture = "def " + "db_url("
    deciding = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if fixture in path.read_text(encoding="utf-8")
    )
    assert deciding == ["tests/browser/conftest.py", "tests/conftest.py"]


def test_rostra_test_databases_sqlite_skips_postgresql() -> None:
    assert databases_the_suite_uses("sqlite") == (["sqlite"], ["sqlite"])


def test_the_browser_is_debians_chromium() -> None:
    conftest = (ROOT / "tests" / "browser" / "conftest.py").read_text(encoding="utf-8")
    assert 'CHROMIUM = "/usr/bin/chromium"' in conftest
    assert "executable_path=CHROMIUM" in conftest


GROUPED = """
import pytest

@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("n", range(6))
def test_grouped(n):
    pass

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    pass
"""


def test_the_suites_xdist_groups_keep_their_tests_on_one_worker(
    commands: list[str], tmp_path: Path
) -> None:
    # make test's own pytest options, on a module of its own: the tests of one xdist_group run
    # in one worker (the process tests must not run two servers at once, the model tests share
    # one loaded model). pytest 9.2 with pytest-xdist 3.8 drops the groups silently.
    options = pytest_arguments(commands)  # -n 2 --dist loadgroup
    (tmp_path / "test_grouped.py").write_text(GROUPED, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-v", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path / "test_grouped.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    workers = {
        line.split("]", 1)[0].lstrip("[")
        for line in done.stdout.splitlines()
        if "PASSED" in line and "test_grouped[" in line
    }
    assert len(workers) == 1 and workers != {""}, done.stdout[-3000:]
    assert done.stdout.count("PASSED") == 12
