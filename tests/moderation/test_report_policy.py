"""The ``reports`` section of a site's moderation settings: accepted, checked, and read alike by
the pipeline's policy and the moderators' desk."""

from __future__ import annotations

import pytest

from rostra.domain.models import Site, SiteSettings
from rostra.moderation.policy import Policy
from rostra.moderation.record import PolicyError
from rostra.services.desk import DEFAULT_REPORT_THRESHOLD, report_threshold


def site_with(moderation: dict[str, object]) -> Site:
    return Site(1, "news", "News", (), SiteSettings(moderation=moderation))


def test_a_report_threshold_is_a_valid_setting_read_by_both() -> None:
    settings: dict[str, object] = {"reports": {"threshold": 5}}
    assert Policy.from_settings(settings).report_threshold == 5
    assert report_threshold(site_with(settings)) == 5
    assert Policy.from_settings({}).report_threshold == DEFAULT_REPORT_THRESHOLD
    assert report_threshold(site_with({})) == DEFAULT_REPORT_THRESHOLD


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        ({"threshold": 0}, "between"),
        ({"threshold": 1001}, "between"),
        ({"threshold": "3"}, "number|integer"),
        ({"threshold": True}, "number|integer|true"),
        ({"limit": 3}, "unknown setting"),
        ([], "must be an object"),
    ],
)
def test_a_bad_report_setting_is_named(reports: object, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.from_settings({"reports": reports})
    # The desk still lists the reported queue, at the default threshold.
    assert report_threshold(site_with({"reports": reports})) == DEFAULT_REPORT_THRESHOLD
