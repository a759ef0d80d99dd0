"""The configuration file named by ``ROSTRA_CONFIG``, and any setting as ``ROSTRA_<NAME>``.

README.md ("Configuration"): "Give a file with ``--config FILE`` or ``ROSTRA_CONFIG``, or any
setting as ``ROSTRA_<NAME>``. Use PostgreSQL with ``ROSTRA_DATABASE_URL=...``." ``--config`` is
tested in test_cli_errors.py; here the environment: the file it names is read by the settings
and by the ``rostra`` command (which migrates and lists the database the file names), and every
setting of :class:`rostra.config.Settings` is read from its own variable.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from rostra.cli import main
from rostra.config import ConfigError, Settings, load_settings

pytestmark = pytest.mark.usefixtures("no_operator_environment")


def test_the_file_rostra_config_names_is_read(tmp_path: Path) -> None:
    config = tmp_path / "rostra.toml"
    config.write_text('port = 9000\nworkers = 3\ndefault_language = "fr"\n', encoding="utf-8")
    settings = load_settings(env={"ROSTRA_CONFIG": str(config)})
    assert (settings.port, settings.workers, settings.default_language) == (9000, 3, "fr")
    # Without the variable, the defaults: the figures above came from the file.
    assert load_settings(env={}).port == Settings().port != 9000


def test_a_file_rostra_config_names_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing.toml"):
        load_settings(env={"ROSTRA_CONFIG": str(tmp_path / "missing.toml")})


def test_the_command_uses_the_database_of_the_file_rostra_config_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    database = tmp_path / "from-environment.db"
    config = tmp_path / "rostra.toml"
    config.write_text(f'database_url = "sqlite:///{database}"\n', encoding="utf-8")
    monkeypatch.setenv("ROSTRA_CONFIG", str(config))
    monkeypatch.chdir(tmp_path)  # the default database (rostra.db) would land here
    assert main(["migrate"]) == 0
    assert database.is_file() and not (tmp_path / "rostra.db").exists()
    assert main(["site", "add", "news", "--name", "The News"]) == 0
    capsys.readouterr()
    assert main(["site", "list"]) == 0
    assert "news\tThe News" in capsys.readouterr().out

    # A file given with --config is the one used, not the one in the environment.
    other = tmp_path / "other.db"
    explicit = tmp_path / "explicit.toml"
    explicit.write_text(f'database_url = "sqlite:///{other}"\n', encoding="utf-8")
    assert main(["migrate", "--config", str(explicit)]) == 0
    assert other.is_file()
    assert main(["site", "list", "--config", str(explicit)]) == 0
    assert "news" not in capsys.readouterr().out


def a_value_unlike_the_default(default: Any) -> tuple[str, Any]:
    """A value for a setting's variable, and what it must read as, unlike ``default``."""
    if isinstance(default, bool):
        return ("0", False) if default else ("yes", True)
    if isinstance(default, int):
        return str(default + 7), default + 7
    if isinstance(default, tuple):
        return "en,de fr", ("en", "de", "fr")
    return "sqlite:///elsewhere.db", "sqlite:///elsewhere.db"


# Settings whose values are checked against others, given here with what makes them valid:
# (the variable's value, the other variables, what the setting must read as).
CHECKED_WITH: dict[str, tuple[str, dict[str, str], Any]] = {
    "default_language": ("de", {"ROSTRA_LANGUAGES": "de,en"}, "de"),
    "public_url": ("https://comments.example.com", {}, "https://comments.example.com"),
    "allowed_hosts": ("internal.example", {}, ("internal.example",)),
    "trusted_proxies": ("10.0.0.0/8 127.0.0.1", {}, ("10.0.0.0/8", "127.0.0.1")),
    "smtp_url": ("smtps://mail.example.com", {}, "smtps://mail.example.com"),
    "mail_from": ("Desk <desk@news.example>", {}, "Desk <desk@news.example>"),
    "jobs_plugins": ("newsroom.jobs:register", {}, ("newsroom.jobs:register",)),
    "stripe_api_base": ("http://127.0.0.1:12111", {}, "http://127.0.0.1:12111"),
    # Left empty outside production, a key is made up for the process: a given one is kept.
    "secret_key": ("k" * 40, {}, "k" * 40),
    "production": (
        "1",
        {"ROSTRA_SECRET_KEY": "s" * 40, "ROSTRA_PUBLIC_URL": "https://comments.example.com"},
        True,
    ),
}


@pytest.mark.parametrize("name", [f.name for f in fields(Settings)])
def test_every_setting_is_read_from_its_own_variable(name: str) -> None:
    default = getattr(Settings(), name)
    if name in CHECKED_WITH:
        raw, others, expected = CHECKED_WITH[name]
    else:
        (raw, expected), others = a_value_unlike_the_default(default), {}
    assert expected != default
    variable = "ROSTRA_" + name.upper()
    settings = load_settings(env={variable: raw, **others})
    assert getattr(settings, name) == expected, f"{variable}={raw!r} was not read"


def test_the_environment_wins_over_the_file_it_names(tmp_path: Path) -> None:
    config = tmp_path / "rostra.toml"
    config.write_text('database_url = "sqlite:///from-file.db"\n', encoding="utf-8")
    env = {"ROSTRA_CONFIG": str(config), "ROSTRA_DATABASE_URL": "postgresql://u@db.example/x"}
    assert load_settings(env=env).database_url == "postgresql://u@db.example/x"
