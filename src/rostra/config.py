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
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

PACKAGE_DIR = Path(__file__).parent
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_WILDCARD_HOSTS = ("0.0.0.0", "::", "")
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?"
)
EXAMPLE_FILE = PACKAGE_DIR / "rostra.example.toml"
#: Fine on one machine; production mode wants a sender readers recognise when mail is sent.
DEFAULT_MAIL_FROM = "Rostra <rostra@localhost>"


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
    # Background jobs (rostra.jobs, docs/adr/0007-durable-jobs.md): where they run, how often
    # the queue is looked at, how long a claim lasts, how failures are retried, what plug-ins
    # register handlers.
    jobs_in_process: bool = True
    jobs_plugins: tuple[str, ...] = ()
    jobs_batch_size: int = 20
    jobs_poll_ms: int = 1000
    jobs_lease_seconds: int = 300
    jobs_max_attempts: int = 8
    jobs_backoff_seconds: int = 10
    jobs_backoff_max_seconds: int = 3600
    jobs_keep_done_days: int = 7
    # A server's runner waits this long (ms) for a moment with no request in flight before a batch.
    jobs_yield_ms: int = 1000
    default_language: str = "en"
    languages: tuple[str, ...] = ("en", "fr")
    max_request_bytes: int = 65_536
    render_cache_mb: int = 64
    render_cache_seconds: int = 60
    site_cache_seconds: int = 5
    access_log: bool = False
    # Outgoing mail (rostra.notify): the SMTP server, the sender, how long to wait for it.
    smtp_url: str = ""
    mail_from: str = DEFAULT_MAIL_FROM
    smtp_timeout_seconds: int = 10
    # "Notify me of": how many days a confirmation link works.
    notify_confirm_days: int = 7
    # Signed webhooks (docs/webhooks.md): one deadline per delivery, the most of an answer that
    # is read, failures in a row before an endpoint is disabled, and whether endpoints may be on
    # private, loopback, link-local or reserved addresses (SSRF: off unless the site needs it).
    webhook_timeout_seconds: int = 5
    webhook_max_response_bytes: int = 65_536
    webhook_disable_after: int = 10
    webhook_allow_private_addresses: bool = False
    # Moderator alerts: at most one immediate alert mail per staff account and site this often.
    desk_alert_minutes: int = 10
    # Donations through Stripe (rostra.services.stripe_funding): where the Stripe API is (empty:
    # Stripe's; the tests point it at their stand-in), and how old a webhook's signature may be.
    stripe_api_base: str = ""
    stripe_webhook_tolerance_seconds: int = 300

    @property
    def smtp(self) -> SmtpEndpoint | None:
        """Where mail goes (``smtp_url`` parsed), or None while no server is set."""
        return parse_smtp_url(self.smtp_url) if self.smtp_url else None

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
    _check_jobs(settings)
    if settings.render_cache_mb < 0 or settings.render_cache_seconds < 0:
        raise ConfigError("render_cache_mb and render_cache_seconds cannot be negative")
    _check_public_url(settings.public_url)
    _check_mail(settings)
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


def _check_jobs(settings: Settings) -> None:
    for name in (
        "jobs_batch_size",
        "jobs_poll_ms",
        "jobs_lease_seconds",
        "jobs_max_attempts",
        "jobs_backoff_seconds",
        "jobs_backoff_max_seconds",
    ):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name} must be at least 1")
    if settings.jobs_keep_done_days < 0:
        raise ConfigError("jobs_keep_done_days cannot be negative")
    if not 0 <= settings.jobs_yield_ms <= 60_000:
        raise ConfigError("jobs_yield_ms must be between 0 and 60000")
    if settings.jobs_backoff_max_seconds < settings.jobs_backoff_seconds:
        raise ConfigError("jobs_backoff_max_seconds cannot be less than jobs_backoff_seconds")
    for path in settings.jobs_plugins:
        module, sep, attr = path.partition(":")
        if not (sep and module and attr):
            raise ConfigError(f"jobs_plugins takes module:function entries, not {path!r}")


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


# -- outgoing mail -------------------------------------------------------------------------------
# Checked here, at startup, so that a wrong smtp_url or mail_from stops every command at once
# instead of the first mail failing hours later. rostra.notify builds and sends the mail.

SMTP_SCHEMES = {"smtp": 25, "smtps": 465}
STARTTLS_PORT = 587
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
#: RFC 5321's limits: 64 octets of local part, 254 for the whole address (a path of 256 with <>).
MAX_LOCAL_PART = 64
MAX_ADDRESS = 254
MAX_DISPLAY_NAME = 200
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_MAIL_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class SmtpEndpoint:
    """An SMTP server as ``smtp_url`` names it; ``str()`` never shows the password."""

    host: str
    port: int
    security: Literal["plain", "starttls", "tls"]
    username: str = ""
    password: str = ""

    def __repr__(self) -> str:
        return f"SmtpEndpoint({self})"

    def __str__(self) -> str:
        scheme = "smtps" if self.security == "tls" else "smtp"
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        tail = "?starttls=1" if self.security == "starttls" else ""
        return f"{scheme}://{user}{host}:{self.port}{tail}"


class AddressError(ValueError):
    """A mail address (or a name beside it) that Rostra refuses; the message says why."""


class HeaderInjection(AddressError):
    """A mail header's value holds a line break, NUL or another control character."""


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """``smtp://[user:pass@]host[:port][?starttls=1]`` or ``smtps://…``, or ``ConfigError``.

    No message repeats the URL: it may hold a password.
    """
    if _CONTROL.search(url) or " " in url:
        raise ConfigError("smtp_url contains spaces or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SMTP_SCHEMES:
        raise ConfigError(
            "smtp_url must start with smtp:// (plain or STARTTLS) or smtps:// (TLS), "
            f"not {scheme + '://' if scheme else 'no scheme'}"
        )
    host = parts.hostname or ""
    if not host:
        raise ConfigError("smtp_url has no host, e.g. smtp://mail.example.com:587?starttls=1")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 0 < port < 65536:
        given = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        raise ConfigError(f"smtp_url has an invalid port: {given!r} (1 to 65535)")
    if parts.path not in ("", "/") or parts.fragment:
        raise ConfigError("smtp_url takes no path or fragment, only ?starttls=1")
    starttls = False
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key != "starttls" or value.lower() not in (*_TRUE, *_FALSE):
            raise ConfigError(f"smtp_url's only option is starttls=1 or starttls=0, not {key!r}")
        starttls = value.lower() in _TRUE
    if scheme == "smtps" and starttls:
        raise ConfigError("smtp_url: smtps:// is TLS from the start; starttls=1 is for smtp://")
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if bool(username) != bool(password):
        raise ConfigError("smtp_url needs both a user name and a password, or neither")
    security: Literal["plain", "starttls", "tls"] = (
        "tls" if scheme == "smtps" else "starttls" if starttls else "plain"
    )
    if security == "plain" and password and host.lower() not in LOOPBACK_NAMES:
        raise ConfigError(
            "smtp_url would send its password unencrypted: add ?starttls=1 or use smtps://"
        )
    default_port = STARTTLS_PORT if security == "starttls" else SMTP_SCHEMES[scheme]
    return SmtpEndpoint(host, port or default_port, security, username, password)


def refuse_control_characters(value: str, what: str) -> None:
    """Refuse CR, LF, NUL or any other control character in ``value`` (a mail header's text):
    a line break would start a header of the writer's choosing (header injection)."""
    found = _CONTROL.search(value)
    if found is None:
        return
    char = found.group()
    kind = (
        "a line break (CR or LF)"
        if char in "\r\n"
        else "a NUL character"
        if char == "\0"
        else f"a control character (U+{ord(char):04X})"
    )
    raise HeaderInjection(f"{what} contains {kind}: refused, it could add mail headers")


def check_addr_spec(addr: str, what: str) -> str:
    """``local@domain`` as Rostra sends to it (ASCII, dot-atom, RFC 5321 lengths), or
    ``AddressError``; returned with the domain in lower case."""
    refuse_control_characters(addr, what)
    if len(addr) > MAX_ADDRESS:
        raise AddressError(f"{what} is longer than {MAX_ADDRESS} characters")
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        raise AddressError(f"{what} is not a mail address (name@example.com): {addr!r}")
    if not addr.isascii():
        raise AddressError(f"{what} must be written in ASCII letters: {addr!r}")
    if len(local) > MAX_LOCAL_PART:
        raise AddressError(f"{what} has more than {MAX_LOCAL_PART} characters before the @")
    if not _LOCAL_PART.fullmatch(local) or not _MAIL_DOMAIN.fullmatch(domain):
        raise AddressError(f"{what} is not a mail address (name@example.com): {addr!r}")
    return f"{local}@{domain.lower()}"


def parse_mailbox(value: str, what: str) -> tuple[str, str]:
    """``"Display Name" <local@domain>`` or a bare address: (name, address), or
    ``AddressError`` saying what is wrong (a second address, a line break, a bad address)."""
    from email.headerregistry import Address
    from email.policy import default

    refuse_control_characters(value, what)
    header = default.header_factory("To", value)
    addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    if len(addresses) != 1 or header.defects:
        raise AddressError(
            f'{what} must be one address, e.g. "The Courier" <comments@news.example>'
        )
    name = addresses[0].display_name
    if len(name) > MAX_DISPLAY_NAME:
        raise AddressError(f"{what}'s name is longer than {MAX_DISPLAY_NAME} characters")
    return name, check_addr_spec(addresses[0].addr_spec, what)


def _check_mail(settings: Settings) -> None:
    if settings.smtp_url:
        parse_smtp_url(settings.smtp_url)
    try:
        parse_mailbox(settings.mail_from, "mail_from")
    except AddressError as exc:
        raise ConfigError(str(exc)) from None
    if not 1 <= settings.notify_confirm_days <= 90:
        raise ConfigError("notify_confirm_days must be between 1 and 90")
    if settings.smtp_timeout_seconds < 1:
        raise ConfigError("smtp_timeout_seconds must be at least 1")
    if not 1 <= settings.webhook_timeout_seconds <= 60:
        raise ConfigError("webhook_timeout_seconds must be between 1 and 60")
    if not 1024 <= settings.webhook_max_response_bytes <= 10_000_000:
        raise ConfigError("webhook_max_response_bytes must be between 1024 and 10000000")
    if settings.webhook_disable_after < 1:
        raise ConfigError("webhook_disable_after must be at least 1")
    if not 1 <= settings.desk_alert_minutes <= 1440:
        raise ConfigError("desk_alert_minutes must be between 1 and 1440")
    if not 1 <= settings.stripe_webhook_tolerance_seconds <= 3600:
        raise ConfigError("stripe_webhook_tolerance_seconds must be between 1 and 3600")
    if settings.stripe_api_base:
        parts = urlsplit(settings.stripe_api_base)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
        ):
            raise ConfigError(
                "stripe_api_base must be an address such as https://api.stripe.com, "
                f"not {settings.stripe_api_base!r}"
            )
    if settings.production and settings.smtp_url and settings.mail_from == DEFAULT_MAIL_FROM:
        raise ConfigError(
            "production mode with smtp_url needs mail_from, the sender readers see, "
            'e.g. "The Courier" <comments@news.example>'
        )
