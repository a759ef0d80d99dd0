"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_operator_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in this machine's environment points the command line at a config or database."""
    for name in ("ROSTRA_CONFIG", "ROSTRA_DATABASE_URL", "ROSTRA_PRODUCTION"):
        monkeypatch.delenv(name, raising=False)
