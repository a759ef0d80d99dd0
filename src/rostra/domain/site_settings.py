"""What an operator may write into a site: its allowed origins and its settings, checked strictly.

Stored settings are read leniently (:meth:`rostra.domain.models.SiteSettings.from_mapping`); a
write is refused with the bad key or origin named, so a typo cannot be stored and silently do
nothing. Updates merge into what is stored (JSON merge patch, RFC 7396): an object merges key by
key, so ``{"moderation": {"reports": {...}}}`` leaves the other moderation settings alone, and
``null`` removes a setting, which brings back its default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from urllib.parse import urlsplit

from rostra.domain.donation_settings import check_funding
from rostra.domain.errors import N_, InvalidInput
from rostra.domain.models import SiteSettings, setting_problem

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_BAD_ORIGIN = N_(
    "%(origin)s is not an origin: write scheme://host or scheme://host:port, with http or https "
    "and nothing after the host (for example https://news.example.com)."
)


def normalise_origin(raw: str) -> str:
    """``raw`` as browsers send it in ``Origin``: lower case, no trailing slash, no default port.

    Raises :class:`InvalidInput` naming ``raw`` when it has no http(s) scheme, a user name, a
    path, query or fragment, or a host or port that cannot be one.
    """
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidInput(_BAD_ORIGIN, code="invalid-origin", origin=raw) from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if (
        scheme not in _DEFAULT_PORTS
        or "@" in parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "?" in text
        or "#" in text
        or _ascii_host(host) is None
    ):
        raise InvalidInput(_BAD_ORIGIN, code="invalid-origin", origin=raw)
    host = _ascii_host(host) or host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def _ascii_host(host: str) -> str | None:
    """The host as an ``Origin`` header spells it (IDNA for other scripts), or ``None``."""
    if not host:
        return None
    if ":" in host:  # urlsplit only lets an IPv6 address through inside brackets
        return f"[{host}]"
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not all(_HOST_LABEL.fullmatch(p) for p in ascii_host.split(".")):
        return None
    return ascii_host


def normalise_origins(raw: Iterable[str]) -> list[str]:
    """Every origin normalised, in order, without repeats."""
    found: list[str] = []
    for origin in raw:
        normal = normalise_origin(origin)
        if normal not in found:
            found.append(normal)
    return found


def check_settings(changes: Mapping[str, object]) -> None:
    """Refuse unknown site settings and values of the wrong kind or out of range, naming them.

    ``null`` (remove the setting) is always allowed. The ``moderation`` object is checked
    separately, by the moderation policy, since it is that module's structure; ``funding`` by
    rostra.domain.donation_settings.
    """
    for key, value in changes.items():
        if value is None:
            continue
        if key == "funding":
            check_funding(value)
            continue
        problem = setting_problem(key, value)
        if problem is not None:
            message, params = problem
            raise InvalidInput(message, code="invalid-site-setting", field=key, **params)


def merge_settings(
    stored: Mapping[str, object], changes: Mapping[str, object]
) -> dict[str, object]:
    """``changes`` applied to ``stored`` as a JSON merge patch: objects merge key by key, ``null``
    removes a key, anything else replaces it."""
    merged = dict(stored)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            before = merged[key]
            assert isinstance(before, Mapping)
            merged[key] = merge_settings(before, value)
        elif isinstance(value, Mapping):
            merged[key] = merge_settings({}, value)  # drops nulls inside a new object
        else:
            merged[key] = value
    return merged


def as_mapping(settings: SiteSettings) -> dict[str, object]:
    """The settings that differ from the defaults: what an update merges into.

    Built from the settings as loaded, so a stored key this version does not know, or a value it
    ignored, is dropped by the next update rather than kept forever.
    """
    defaults = SiteSettings()
    found: dict[str, object] = {}
    for f in fields(SiteSettings):
        value = getattr(settings, f.name)
        if value != getattr(defaults, f.name):
            found[f.name] = value
    return found
