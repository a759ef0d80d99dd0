"""``notify_confirm_days``: 7 by default, read from the file or ROSTRA_NOTIFY_CONFIRM_DAYS,
checked at startup (1 to 90), and it is how long a confirmation link works."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rostra.config import ConfigError, load_settings
from rostra.domain.errors import RostraError
from rostra.services.subscriptions import NotifyLinks
from rostra.services.tokens import Signer
from tests.conftest import SECRET

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def test_the_default_is_seven_days_and_the_environment_changes_it() -> None:
    assert load_settings(env={}, secret_key=SECRET).notify_confirm_days == 7
    changed = load_settings(env={"ROSTRA_NOTIFY_CONFIRM_DAYS": "2"}, secret_key=SECRET)
    assert changed.notify_confirm_days == 2


@pytest.mark.parametrize("days", ["0", "-1", "91", "seven"])
def test_a_value_out_of_range_stops_startup_with_its_name(days: str) -> None:
    with pytest.raises(ConfigError, match="notify_confirm_days"):
        load_settings(env={"ROSTRA_NOTIFY_CONFIRM_DAYS": days}, secret_key=SECRET)


def test_a_link_works_for_that_many_days_and_not_one_second_more() -> None:
    links = NotifyLinks(Signer(SECRET), confirm_days=2)
    token = links.confirm(1, 5, "abcdef0123456789", NOW)
    assert links.check_confirm(token, 1, NOW + timedelta(days=2)).subscriber_id == 5
    with pytest.raises(RostraError) as expired:
        links.check_confirm(token, 1, NOW + timedelta(days=2, seconds=1))
    assert (expired.value.status, expired.value.code) == (410, "link-expired")
    with pytest.raises(RostraError) as foreign:
        links.check_confirm(token, 2, NOW)
    assert foreign.value.code == "link-wrong-site"
    # A link signed under another secret is no link of ours.
    other = NotifyLinks(Signer("another-secret-key-that-is-long-enough-987654"), 2)
    with pytest.raises(RostraError) as forged:
        other.check_confirm(token, 1, NOW)
    assert (forged.value.status, forged.value.code) == (403, "link-invalid")
