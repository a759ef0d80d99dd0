"""``make demo`` does what the README says it does.

README.md: "``make demo`` creates .venv, installs, migrates var/demo.db, seeds the demo site,
serves http://127.0.0.1:8000", "``make demo PORT=8080`` serves on another port", and "``make
demo`` prints a moderator's sign-in". Make itself says what the target would run (``make -n``:
commands printed, none run; serving is the one part left out, since it does not end), and
``rostra demo --seed-only``, the same command without serving, runs for real here (twice, as a
restart): it seeds, lets the page's origin embed the site, prints a sign-in that works, and
subscribes the demo's followers once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rostra.demo.content import SITE_SLUG
from rostra.services.staff import StaffAccounts
from rostra.services.tokens import Signer
from rostra.storage.database import create_engines
from rostra.storage.repository import SqlStore
from rostra.storage.staff import SqlStaffStore
from rostra.storage.subscriptions import SqlSubscriptionReads

ROOT = Path(__file__).resolve().parents[2]
SECRET = "a-secret-for-this-test-only-0123456789abcdef"


def make_demo(*variables: str) -> list[str]:
    """The commands ``make demo`` would run, in order (make's dry run, nothing executed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env.pop("PORT", None)
    env.pop("HOST", None)
    done = subprocess.run(
        ["make", "-n", "--always-make", "demo", *variables],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [" ".join(line.split()) for line in done.stdout.splitlines() if line.strip()]


def rostra_args(command: str) -> list[str] | None:
    """The arguments of a ``rostra`` command line (``.venv/bin/rostra …``), else None."""
    argv = command.split()
    return argv[1:] if argv and argv[0] == ".venv/bin/rostra" else None


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_creates_the_venv_installs_migrates_and_serves_on_8000_or_port() -> None:
    commands = make_demo()
    venv = next(i for i, c in enumerate(commands) if re.search(r"-m venv \.venv$", c))
    install = next(
        i for i, c in enumerate(commands) if ".venv/bin/pip install" in c and " -e " in c
    )
    runs = [(i, rostra_args(c)) for i, c in enumerate(commands) if rostra_args(c) is not None]
    database = ["--database-url", "sqlite:///var/demo.db"]
    assert [args for _, args in runs] == [
        [*database, "migrate"],
        [*database, "demo", "--host", "127.0.0.1", "--port", "8000"],
    ]
    assert venv < install < runs[0][0]
    served = make_demo("PORT=8080")
    assert [rostra_args(c) for c in served if rostra_args(c)][-1][-2:] == ["--port", "8080"]


def test_the_demo_command_seeds_and_prints_a_moderators_sign_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
    env["ROSTRA_SECRET_KEY"] = SECRET
    base = [sys.executable, "-m", "rostra", "--database-url", url]
    seed = ["demo", "--seed-only", "--port", "8080"]
    for args in (["migrate"], seed, seed):  # the second start seeds nothing again
        done = subprocess.run(
            [*base, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr
    printed = re.search(
        r"^moderation desk: http://127\.0\.0\.1:8080/moderation/ \(user (\S+), password (\S+);",
        done.stdout,
        re.M,
    )
    assert printed, done.stdout
    store = SqlStore(create_engines(url))
    try:
        site = store.get_site(SITE_SLUG)
        assert site is not None and "http://127.0.0.1:8080" in site.allowed_origins
        accounts = StaffAccounts(SqlStaffStore(store.engines), Signer(SECRET))
        username, password = printed.groups()
        assert accounts.sign_in(username, password.rstrip(";"), None)
        # The demo's three followers, subscribed and confirmed once, however often it starts.
        followers = list(SqlSubscriptionReads(store.engines).all_rows())
        assert [s.state.value for s in followers] == ["confirmed"] * 3
    finally:
        store.close()
