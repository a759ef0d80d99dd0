"""Small readers for the site's moderation settings that fail with a message naming the setting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from rostra.moderation.record import PolicyError

T = TypeVar("T")


def section(data: Mapping[str, object], name: str) -> Mapping[str, object]:
    """``data[name]`` as a mapping (empty when absent)."""
    value = data.get(name, {})
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(f"moderation.{name} must be an object")
    return value


def check_keys(data: Mapping[str, object], where: str, known: set[str]) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise PolicyError(f"moderation.{where} has unknown setting(s): {', '.join(unknown)}")


def number(
    data: Mapping[str, object],
    key: str,
    where: str,
    default: float,
    low: float,
    high: float,
) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PolicyError(f"moderation.{where}.{key} must be a number")
    if not low <= float(value) <= high:
        raise PolicyError(f"moderation.{where}.{key} must be between {low:g} and {high:g}")
    return float(value)


def optional_number(
    data: Mapping[str, object], key: str, where: str, low: float, high: float
) -> float | None:
    if data.get(key) is None:
        return None
    return number(data, key, where, low, low, high)


def integer(
    data: Mapping[str, object], key: str, where: str, default: int, low: int, high: int
) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"moderation.{where}.{key} must be a whole number")
    if not low <= value <= high:
        raise PolicyError(f"moderation.{where}.{key} must be between {low} and {high}")
    return value


def flag(data: Mapping[str, object], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise PolicyError(f"moderation.{where}.{key} must be true or false")
    return value


def text(data: Mapping[str, object], key: str, where: str, default: str = "") -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise PolicyError(f"moderation.{where}.{key} must be a string")
    return value


def strings(data: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"moderation.{where}.{key} must be a list of strings")
    return tuple(value)
