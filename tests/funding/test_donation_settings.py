"""The ``funding`` site setting: an operator's write is checked strictly, naming the bad key and
never repeating a secret; what is stored loads leniently; and nothing shows the keys."""

from __future__ import annotations

import pytest

from rostra.config import ConfigError, load_settings
from rostra.domain.donation_settings import DonationSettings, check_funding, masked
from rostra.domain.errors import InvalidInput
from rostra.domain.site_settings import check_settings

KEY = "sk_live_abcdefghijklmnop"


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"stripe_sekret_key": KEY}, "funding.stripe_sekret_key"),
        ({"stripe_secret_key": "short"}, "funding.stripe_secret_key"),
        ({"stripe_secret_key": "sk_live_ with space"}, "funding.stripe_secret_key"),
        ({"stripe_webhook_secret": 42}, "funding.stripe_webhook_secret"),
        ({"presets": ["10", "25"]}, "funding.presets"),
        ({"presets": []}, "funding.presets"),
        ({"presets": [1, 2, 3, 4, 5, 6, 7]}, "funding.presets"),
        ({"presets": [0]}, "funding.presets"),
        ({"minimum": 2.5}, "funding.minimum"),
        ({"minimum": True}, "funding.minimum"),
        ({"monthly": "yes"}, "funding.monthly"),
    ],
)
def test_a_bad_funding_setting_is_refused_by_name(value: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_settings({"funding": value})
    assert refused.value.field == field
    assert KEY not in str(refused.value)


def test_funding_must_be_an_object_and_null_removes_a_key() -> None:
    with pytest.raises(InvalidInput):
        check_funding([KEY])
    check_settings({"funding": {"stripe_secret_key": None, "presets": [5, 10], "minimum": 1}})


def test_stored_settings_load_leniently_and_never_show_the_keys() -> None:
    read = DonationSettings.from_mapping(
        {"stripe_secret_key": KEY, "presets": ["bad"], "minimum": 3, "unknown": 1}
    )
    assert read.presets == (10, 25, 50, 100) and read.minimum == 3 and read.checkout_ready
    assert KEY not in repr(read)
    assert masked({"stripe_secret_key": KEY, "minimum": 3}) == {
        "stripe_secret_key": "(set)",
        "minimum": 3,
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("stripe_api_base", "ftp://api.example"),
        ("stripe_api_base", "https://api.example/v1"),
        ("stripe_api_base", "api.stripe.com"),
        ("stripe_webhook_tolerance_seconds", "0"),
        ("stripe_webhook_tolerance_seconds", "7200"),
    ],
)
def test_bad_stripe_server_settings_stop_the_server(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings(env={f"ROSTRA_{name.upper()}": value, "ROSTRA_SECRET_KEY": "k" * 40})
