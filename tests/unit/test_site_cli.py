"""``rostra site`` as an operator uses it: origins and settings checked before they are stored,
updates merged (``--replace`` to replace), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from rostra.cli import main
from rostra.domain.models import SiteSettings
from rostra.storage.repository import SqlStore

pytestmark = pytest.mark.usefixtures("no_operator_environment")


def site(db_url: str, *args: str) -> int:
    return main(["--database-url", db_url, "site", *args])


def refused(capsys: pytest.CaptureFixture[str], code: int) -> str:
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def stored(store: SqlStore, slug: str = "mypaper") -> SiteSettings:
    found = store.get_site(slug)
    assert found is not None
    return found.settings


def test_the_readme_examples_do_not_undo_each_other(db_url: str, store: SqlStore) -> None:
    assert site(db_url, "add", "mypaper", "--origin", "https://news.example.com") == 0
    assert site(db_url, "update", "mypaper", "--settings", '{"edit_window_seconds": 1800}') == 0
    assert (
        site(db_url, "update", "mypaper", "--settings", '{"moderation": {"enabled": false}}') == 0
    )
    settings = stored(store)
    assert settings.edit_window_seconds == 1800
    assert settings.moderation == {"enabled": False}
    # Nested objects merge key by key too; null brings a default back.
    update = '{"moderation": {"reports": {"threshold": 5}}, "edit_window_seconds": null}'
    assert site(db_url, "update", "mypaper", "--settings", update) == 0
    settings = stored(store)
    assert settings.moderation == {"enabled": False, "reports": {"threshold": 5}}
    assert settings.edit_window_seconds == SiteSettings().edit_window_seconds
    # --replace is the way to start over.
    assert site(db_url, "update", "mypaper", "--settings", '{"page_size": 50}', "--replace") == 0
    assert stored(store) == SiteSettings(page_size=50)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ('{"page_size": "lots"}', "page_size"),
        ('{"page_size": 1000}', "page_size"),
        ('{"pagesize": 10}', "pagesize"),
        ('{"public_revisions": "yes"}', "public_revisions"),
        ('{"moderation": {"reports": {"threshold": "3"}}}', "moderation.reports.threshold"),
        ('{"moderation": {"report": {"threshold": 3}}}', "report"),
        ('{"moderation": {"enabled": "no"}}', "moderation.enabled must"),
        ('{"moderation": {"toxicity": {"hold": "high"}}}', "moderation.toxicity.hold"),
        ('{"page_size": 10', "not valid JSON"),
        ('["page_size", 10]', "must be a JSON object"),
    ],
)
def test_a_bad_setting_is_refused_and_nothing_is_stored(
    capsys: pytest.CaptureFixture[str],
    db_url: str,
    store: SqlStore,
    settings: str,
    named: str,
) -> None:
    assert site(db_url, "add", "mypaper", "--settings", '{"page_size": 30}') == 0
    capsys.readouterr()
    err = refused(capsys, site(db_url, "update", "mypaper", "--settings", settings))
    assert named in err
    assert stored(store) == SiteSettings(page_size=30)
    err = refused(capsys, site(db_url, "add", "other", "--settings", settings))
    assert named in err
    assert store.get_site("other") is None


def test_moderation_settings_that_were_stored_are_checked_with_the_change(
    capsys: pytest.CaptureFixture[str], db_url: str, store: SqlStore
) -> None:
    # The policy is checked as a whole, after the merge: a premoderation mode stays valid.
    assert (
        site(db_url, "add", "mypaper", "--settings", '{"moderation": {"premoderation": "links"}}')
        == 0
    )
    assert site(db_url, "update", "mypaper", "--settings", '{"moderation": {"enabled": true}}') == 0
    assert stored(store).moderation == {"premoderation": "links", "enabled": True}


def test_origins_are_checked_and_normalised(
    capsys: pytest.CaptureFixture[str], db_url: str, store: SqlStore
) -> None:
    err = refused(capsys, site(db_url, "add", "mypaper", "--origin", "news.example.com"))
    assert "news.example.com is not an origin" in err
    assert store.get_site("mypaper") is None
    origins = ["--origin", "https://News.Example.com/", "--origin", "http://localhost:8080"]
    assert site(db_url, "add", "mypaper", *origins) == 0
    found = store.get_site("mypaper")
    assert found is not None
    assert found.allowed_origins == ("https://news.example.com", "http://localhost:8080")
    assert found.allows_origin("https://news.example.com")
    err = refused(
        capsys, site(db_url, "update", "mypaper", "--origin", "https://news.example.com/embed")
    )
    assert "https://news.example.com/embed is not an origin" in err
    found = store.get_site("mypaper")
    assert found is not None and len(found.allowed_origins) == 2


def test_show_prints_what_is_set(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    assert site(db_url, "add", "mypaper", "--origin", "https://news.example.com") == 0
    assert site(db_url, "update", "mypaper", "--settings", '{"public_revisions": true}') == 0
    capsys.readouterr()
    assert site(db_url, "show", "mypaper") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["origins"] == ["https://news.example.com"]
    assert shown["settings"] == {"public_revisions": True}
    err = refused(capsys, site(db_url, "show", "nope"))
    assert "There is no site called nope" in err


def test_replace_needs_settings(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    assert site(db_url, "add", "mypaper") == 0
    capsys.readouterr()
    err = refused(capsys, site(db_url, "update", "mypaper", "--replace"))
    assert "--replace needs --settings" in err
