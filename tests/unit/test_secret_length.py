"""Production's secret key is 32 characters or more (README, "Putting it under your articles":
``ROSTRA_SECRET_KEY=… # 32+ random characters``): 31 are refused with the reason, 32 start."""

from __future__ import annotations

import pytest

from rostra.config import ConfigError, load_settings

PRODUCTION = {"ROSTRA_PRODUCTION": "1", "ROSTRA_PUBLIC_URL": "https://comments.example.com"}


def test_production_refuses_a_secret_under_32_characters_and_takes_32() -> None:
    for short in ("", "k" * 31):
        with pytest.raises(ConfigError, match="32"):
            load_settings(env={**PRODUCTION, "ROSTRA_SECRET_KEY": short})
    settings = load_settings(env={**PRODUCTION, "ROSTRA_SECRET_KEY": "k" * 32})
    assert settings.production and settings.secret_key == "k" * 32
