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
    env = {"ROSTRA_PRODUCTION": "true", "ROSTRA_SECRET_KEY": "s" * 40}
    ok = load_settings(env=env | {"ROSTRA_PUBLIC_URL": "https://comments.example.com"})
    assert ok.production


def test_production_needs_an_https_public_url() -> None:
    """Links and cookies come from public_url, never from the Host header a client sends."""
    env = {"ROSTRA_PRODUCTION": "true", "ROSTRA_SECRET_KEY": "s" * 40}
    with pytest.raises(ConfigError, match="public_url"):
        load_settings(env=env)
    with pytest.raises(ConfigError, match="https"):
        load_settings(env=env | {"ROSTRA_PUBLIC_URL": "http://comments.example.com"})
    for bad in ("comments.example.com", "https://u:p@c.example", "https://c.example/?x=1"):
        with pytest.raises(ConfigError, match="public_url"):
            load_settings(env={"ROSTRA_PUBLIC_URL": bad})
    local = load_settings(env=env | {"ROSTRA_PUBLIC_URL": "http://127.0.0.1:8000"})
    assert local.host_names == {"127.0.0.1"}


def test_host_names_come_from_public_url_and_allowed_hosts() -> None:
    dev = load_settings(env={})
    assert {"localhost", "127.0.0.1", "::1"} <= dev.host_names
    public = load_settings(
        env={"ROSTRA_PUBLIC_URL": "https://Comments.Example.com", "ROSTRA_ALLOWED_HOSTS": "int.lan"}
    )
    assert public.host_names == {"comments.example.com", "int.lan"}
    for bad in ("https://x.example", "x.example:80", "x .example", "x/y"):
        with pytest.raises(ConfigError, match="allowed_hosts"):
            load_settings(env={"ROSTRA_ALLOWED_HOSTS": bad})


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
