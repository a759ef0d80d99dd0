"""Typed settings from the environment (``ROSTRA_*``) and an optional TOML file.

Every setting is documented in ``rostra.example.toml`` (a test keeps the two in step). In
production mode Rostra refuses to start with unsafe defaults such as a missing secret key.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PACKAGE_DIR = Path(__file__).parent
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_WILDCARD_HOSTS = ("0.0.0.0", "::", "")
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?"
)
EXAMPLE_FILE = PACKAGE_DIR / "rostra.example.toml"


class ConfigError(ValueError):
    """A setting is missing, malformed or unsafe; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite:///rostra.db"
    secret_key: str = ""
    production: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    public_url: str = ""
    allowed_hosts: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    default_language: str = "en"
    languages: tuple[str, ...] = ("en", "fr")
    max_request_bytes: int = 65_536
    render_cache_mb: int = 64
    render_cache_seconds: int = 60
    site_cache_seconds: int = 5
    access_log: bool = False

    @property
    def host_names(self) -> frozenset[str]:
        """The ``Host`` names this server answers to; any other is refused (400).

        ``public_url``'s host and ``allowed_hosts``; in development without ``public_url``,
        also the loopback names and the address it listens on, so a local run needs nothing set.
        """
        names = {h.strip("[]").lower().rstrip(".") for h in self.allowed_hosts}
        if self.public_url:
            names.add((urlsplit(self.public_url).hostname or "").lower())
        elif not self.production:
            names.update(LOOPBACK_NAMES)
            if self.host not in _WILDCARD_HOSTS:
                names.add(self.host.strip("[]").lower())
        names.discard("")
        return frozenset(names)

    @property
    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies)


_ENV_PREFIX = "ROSTRA_"


def _coerce(name: str, raw: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, tuple):
            if isinstance(raw, list | tuple):
                return tuple(str(x) for x in raw)
            return tuple(p for p in str(raw).replace(",", " ").split() if p)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} has an invalid value: {raw!r}") from exc


def load_settings(
    config_file: str | Path | None = None,
    env: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings from defaults, then the TOML file, then ``ROSTRA_*`` variables, then overrides."""
    environ = os.environ if env is None else env
    defaults = Settings()
    values: dict[str, Any] = {}
    path = config_file or environ.get("ROSTRA_CONFIG")
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read the configuration file {path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"the configuration file {path} is not valid TOML: {exc}") from exc
        known = {f.name for f in fields(Settings)}
        for key, raw in data.items():
            if key not in known:
                raise ConfigError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, raw, getattr(defaults, key))
    for f in fields(Settings):
        env_name = _ENV_PREFIX + f.name.upper()
        if env_name in environ:
            values[f.name] = _coerce(f.name, environ[env_name], getattr(defaults, f.name))
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    return validate(settings)


def validate(settings: Settings) -> Settings:
    """Fail fast on settings that are malformed, or unsafe in production."""
    try:
        settings.proxy_networks  # noqa: B018 - parse to validate
    except ValueError as exc:
        raise ConfigError(f"trusted_proxies has an invalid network: {exc}") from exc
    if settings.default_language not in settings.languages:
        raise ConfigError("default_language must be one of languages")
    if settings.render_cache_mb < 0 or settings.render_cache_seconds < 0:
        raise ConfigError("render_cache_mb and render_cache_seconds cannot be negative")
    _check_public_url(settings.public_url)
    for name in settings.allowed_hosts:
        if not _HOST_NAME.fullmatch(name) and not _is_ip(name.strip("[]")):
            raise ConfigError(
                f"allowed_hosts takes host names without scheme or port, not {name!r}"
            )
    if settings.production:
        if len(settings.secret_key) < 32:
            raise ConfigError(
                "production mode needs secret_key (ROSTRA_SECRET_KEY) of 32+ characters"
            )
        if not settings.public_url:
            # Links, cookies and origin checks are built from it: taking them from the
            # request's Host header would let a client choose them for every other reader.
            raise ConfigError(
                "production mode needs public_url (ROSTRA_PUBLIC_URL), the address readers "
                "reach this server at, e.g. https://comments.example.com"
            )
        host = urlsplit(settings.public_url).hostname or ""
        if not settings.public_url.startswith("https://") and host not in LOOPBACK_NAMES:
            raise ConfigError("production mode needs an https:// public_url")
    elif len(settings.secret_key) < 32:
        # Development: keep a random key beside the database so tokens survive restarts.
        settings = _with_dev_secret(settings)
    return settings


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _check_public_url(url: str) -> None:
    if not url:
        return
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise ConfigError(
            f"public_url must be an http(s) address such as https://comments.example.com, "
            f"not {url!r}"
        )


def _with_dev_secret(settings: Settings) -> Settings:
    from dataclasses import replace

    db = settings.database_url
    folder = Path(db.split("///", 1)[1]).parent if db.startswith("sqlite:///") else Path(".")
    key_file = folder / ".rostra-dev-secret"
    try:
        key = key_file.read_text().strip()
    except OSError:
        key = ""
    if len(key) < 32:
        key = secrets.token_urlsafe(48)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            key_file.write_text(key)
            key_file.chmod(0o600)
        except OSError:
            pass  # read-only folder: a per-process key still works for a dev run
    return replace(settings, secret_key=key)


def command_settings(args: object) -> Settings:
    """The settings a ``rostra`` command runs with: its ``--config`` file and environment, with
    the options given on its command line (``--database-url``, ``--host``…) on top."""
    overrides = {}
    for name in ("database_url", "host", "port", "workers"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return load_settings(getattr(args, "config", None), **overrides)


def json_object_option(raw: str, option: str = "--settings") -> dict[str, object]:
    """A command-line option that holds a JSON object, or ``ValueError`` saying what is wrong."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{option} is not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{option} must be a JSON object")
    return value
