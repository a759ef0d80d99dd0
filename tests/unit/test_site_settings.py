"""Site settings and origins: strict when an operator writes them, lenient when stored ones load."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from rostra.domain.errors import InvalidInput
from rostra.domain.models import SETTING_RANGES, SiteSettings
from rostra.domain.site_settings import (
    as_mapping,
    check_settings,
    merge_settings,
    normalise_origin,
    normalise_origins,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sites.md"


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("https://News.Example.com/", "https://news.example.com"),
        ("http://127.0.0.1:9", "http://127.0.0.1:9"),
        ("https://news.example:443", "https://news.example"),  # browsers leave out default ports
        ("http://news.example:80/", "http://news.example"),
        ("https://news.example:8443", "https://news.example:8443"),
        ("  https://news.example  ", "https://news.example"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),  # as Origin spells it
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_an_origin_is_stored_as_browsers_send_it(written: str, stored: str) -> None:
    assert normalise_origin(written) == stored


@pytest.mark.parametrize(
    "bad",
    [
        "news.example.com",  # no scheme: it never matched anything
        "//news.example.com",
        "ftp://news.example.com",
        "javascript:alert(1)",
        "https://news.example.com/comments",
        "https://news.example.com?x=1",
        "https://news.example.com?",
        "https://news.example.com#top",
        "https://editor@news.example.com",
        "https://news.example.com:99999",
        "https://news.example.com:port",
        "https://",
        "https://news_desk.example",
        "",
    ],
)
def test_a_bad_origin_is_refused_by_name(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_origin(bad)
    assert caught.value.code == "invalid-origin"
    assert bad.strip() in str(caught.value)
    assert "scheme://host" in str(caught.value)


def test_origins_keep_their_order_without_repeats() -> None:
    got = normalise_origins(["https://b.example", "https://a.example", "https://B.example/"])
    assert got == ["https://b.example", "https://a.example"]


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"page_size": "lots"}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 201}, "page_size"),
        ({"page_size": 20.5}, "page_size"),
        ({"display_depth": True}, "display_depth"),
        ({"edit_window_seconds": -1}, "edit_window_seconds"),
        ({"max_body_chars": 10**9}, "max_body_chars"),
        ({"max_name_chars": 201}, "max_name_chars"),
        ({"allow_guests": "yes"}, "allow_guests"),
        ({"allow_downvotes": 1}, "allow_downvotes"),
        ({"public_revisions": "true"}, "public_revisions"),
        ({"default_language": "English"}, "default_language"),
        ({"default_language": 3}, "default_language"),
        ({"moderation": ["enabled"]}, "moderation"),
        ({"pagesize": 10}, "pagesize"),  # a typo is not stored to do nothing
    ],
)
def test_a_bad_setting_is_refused_with_its_key_named(
    changes: dict[str, object], named: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_settings(changes)
    assert named in str(caught.value)
    assert caught.value.field == named
    assert caught.value.code == "invalid-site-setting"


def test_good_settings_pass_and_null_removes() -> None:
    check_settings(
        {
            "page_size": 200,
            "edit_window_seconds": 0,
            "display_depth": 1,
            "public_revisions": True,
            "default_language": "pt-BR",
            "moderation": {"enabled": False},
            "allow_guests": None,
        }
    )


def test_stored_settings_load_leniently() -> None:
    # Written by an older version or by hand: what cannot be used falls back to the default.
    loaded = SiteSettings.from_mapping(
        {"page_size": "lots", "retired_setting": 1, "allow_guests": False, "display_depth": 99}
    )
    assert loaded.page_size == SiteSettings().page_size
    assert loaded.display_depth == SiteSettings().display_depth
    assert loaded.allow_guests is False


def test_updates_merge_key_by_key_and_null_removes() -> None:
    stored: dict[str, object] = {
        "edit_window_seconds": 1800,
        "moderation": {"premoderation": "links", "reports": {"threshold": 5}},
    }
    merged = merge_settings(
        stored, {"page_size": 50, "moderation": {"enabled": False, "reports": None}}
    )
    assert merged == {
        "edit_window_seconds": 1800,
        "page_size": 50,
        "moderation": {"premoderation": "links", "enabled": False},
    }
    assert stored["moderation"] == {"premoderation": "links", "reports": {"threshold": 5}}
    assert "edit_window_seconds" not in merge_settings(merged, {"edit_window_seconds": None})


def test_as_mapping_is_what_differs_from_the_defaults() -> None:
    assert as_mapping(SiteSettings()) == {}
    settings = SiteSettings(page_size=50, moderation={"enabled": False})
    assert as_mapping(settings) == {"page_size": 50, "moderation": {"enabled": False}}
    assert SiteSettings.from_mapping(as_mapping(settings)) == settings


def test_every_setting_is_documented_with_its_bounds() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for f in fields(SiteSettings):
        assert f"`{f.name}`" in text, f.name
    for name, (low, high) in SETTING_RANGES.items():
        line = next(line for line in text.splitlines() if f"`{name}`" in line)
        assert f"{low:,}" in line and f"{high:,}" in line, line
    # Every whole-number setting has bounds.
    for f in fields(SiteSettings):
        default = getattr(SiteSettings(), f.name)
        if isinstance(default, int) and not isinstance(default, bool):
            assert f.name in SETTING_RANGES, f.name
