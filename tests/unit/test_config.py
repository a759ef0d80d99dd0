"""Settings: every one documented in the example file; unsafe production settings refused."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from rostra.config import EXAMPLE_FILE, ConfigError, Settings, load_settings


def test_every_setting_is_documented_with_a_comment() -> None:
    text = EXAMPLE_FILE.read_text()
    documented = tomllib.loads(text)
    names = {f.name for f in fields(Settings)}
    assert set(documented) == names
    for name in names:
        # The line before each setting (or its block) is a comment explaining it.
        block = re.search(rf"((?:^#.*\n)+)(?:^\w.*\n)*^{name} =", text, re.M)
        assert block, f"setting {name} has no comment above it"


def test_example_values_are_the_defaults() -> None:
    documented = tomllib.loads(EXAMPLE_FILE.read_text())
    defaults = Settings()
    for name, value in documented.items():
        expected = getattr(defaults, name)
        assert (tuple(value) if isinstance(value, list) else value) == expected, name


def test_environment_wins_over_file(tmp_path: Path) -> None:
    config = tmp_path / "r.toml"
    config.write_text("port = 9000\nworkers = 3\n")
    settings = load_settings(config, env={"ROSTRA_PORT": "9100"})
    assert (settings.port, settings.workers) == (9100, 3)


def test_production_needs_a_secret() -> None:
    with pytest.raises(ConfigError, match="secret_key"):
        load_settings(env={"ROSTRA_PRODUCTION": "1"})
    ok = load_settings(env={"ROSTRA_PRODUCTION": "true", "ROSTRA_SECRET_KEY": "s" * 40})
    assert ok.production


def test_bad_values_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="port"):
        load_settings(env={"ROSTRA_PORT": "eighty"})
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_settings(env={"ROSTRA_TRUSTED_PROXIES": "not-a-network"})
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(bad, env={})


def test_dev_secret_is_kept_beside_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    first = load_settings(env={}, database_url=url).secret_key
    second = load_settings(env={}, database_url=url).secret_key
    assert first == second and len(first) >= 32
