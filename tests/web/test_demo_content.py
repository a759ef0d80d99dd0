"""The demo's fiction is data: its files load into what the seeder and pages use, and a wrong file
stops with an error that names the file and the key."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import pytest

from rostra.demo import content
from rostra.demo.content import ARTICLE, COMMENTS, READERS, ContentError, load
from rostra.demo.content.loader import ARTICLE_FILE, DISCUSSION_FILE

DATA = files("rostra.demo.content")
STATIC = files("rostra.demo") / "static"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the demo's data files, for a test to break."""
    for name in (ARTICLE_FILE, DISCUSSION_FILE):
        (tmp_path / name).write_text((DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def _change(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _error(folder: Path, static: Path | None = None) -> str:
    with pytest.raises(ContentError) as caught:
        load(folder, static or Path(str(STATIC)), content.STATIC_URL)
    return str(caught.value)


def test_the_files_hold_the_article_and_the_discussion(folder: Path) -> None:
    fiction = load(folder, STATIC, content.STATIC_URL)
    assert (fiction.article, fiction.readers, fiction.comments) == (ARTICLE, READERS, COMMENTS)
    assert ARTICLE.slug == content.THREAD_ID == "harbour-bridge"
    assert len(ARTICLE.paragraphs) == 9 and len(ARTICLE.facts) == 4
    assert ARTICLE.paragraphs[0].startswith("Kelmouth councillors voted 19 to 14 last night")
    assert all("\n" not in p and "  " not in p for p in ARTICLE.paragraphs)
    assert (content.IMAGE_WIDTH, content.IMAGE_HEIGHT) == (1600, 900)
    edited = next(c for c in COMMENTS if c.key == "ellery-1")
    assert edited.edit is not None and edited.edit.minutes_later == 6
    assert "**£1.50**" in edited.edit.body and "\n\n(Corrected:" in edited.edit.body
    assert content.READER_NAMES["anon1"] is None and content.READER_NAMES["nan"] == "Nan Polglase"
    assert [c.key for c in COMMENTS if c.deleted] == ["anon4-1"]


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            DISCUSSION_FILE,
            "minute = 70\n",
            'minute = "70"\n',
            "comments[4] (ellery-1).minute: expected an integer, got a string",
        ),
        (
            DISCUSSION_FILE,
            "minutes_later = 6\n",
            "minutes_latr = 6\n",
            "comments[4] (ellery-1).edit.minutes_later: missing",
        ),
        (
            DISCUSSION_FILE,
            "deleted_minute = 425\n",
            "deleted_minutes = 425\n",
            "(anon4-1).deleted_minutes: unknown key (expected one of: body, deleted_minute, down,",
        ),
        (
            DISCUSSION_FILE,
            'up = ["gwen", "nan", "r05", "r06"]',
            'up = ["gwen", 5]',
            "comments[5] (swim-3).up[1]: expected a string, got an integer",
        ),
        (DISCUSSION_FILE, 'guests = ["anon1",', 'guests = ["gwen",', "guests[0]: 'gwen' is "),
        (DISCUSSION_FILE, "[readers]\n", "[reader]\n", "readers: missing"),
        (ARTICLE_FILE, 'dateline = "KELMOUTH"\n', "", "dateline: missing"),
        (ARTICLE_FILE, "reading_minutes = 4\n", "reading_minutes = true\n", "got true/false"),
        (ARTICLE_FILE, "hour_utc = 6\n", "hour_utc = 25\n", "published.hour_utc: must be"),
        (
            ARTICLE_FILE,
            'file = "harbour-bridge.svg"',
            'file = "harbour.svg"',
            "image.file: no file 'harbour.svg'",
        ),
        (ARTICLE_FILE, "the council vote", "", "facts[1].meaning: is empty"),
        (
            ARTICLE_FILE,
            "Motor traffic would stay banned.",
            "Motor traffic would stay *banned*.",
            "paragraph 2: '*' would show as it is",
        ),
    ],
)
def test_a_wrong_value_names_the_file_and_the_key(
    folder: Path, file: str, old: str, new: str, message: str
) -> None:
    _change(folder / file, old, new)
    error = _error(folder)
    assert error.startswith(f"{folder / file}: "), error
    assert message in error, error


def test_broken_toml_names_the_file_and_the_line(folder: Path) -> None:
    _change(folder / DISCUSSION_FILE, 'key = "swim-2"\n', 'key = "swim-2\n')
    error = _error(folder)
    assert error.startswith(f"{folder / DISCUSSION_FILE}: not valid TOML"), error
    line = (DATA / DISCUSSION_FILE).read_text(encoding="utf-8").splitlines().index('key = "swim-2"')
    assert f"line {line + 1}," in error


def test_the_front_matter_keeps_the_files_line_numbers(folder: Path) -> None:
    _change(folder / ARTICLE_FILE, "reading_minutes = 4\n", "reading_minutes = = 4\n")
    lines = (folder / ARTICLE_FILE).read_text(encoding="utf-8").splitlines()
    assert f"line {lines.index('reading_minutes = = 4') + 1}," in _error(folder)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Just a story.\n", "must start with a '+++' line"),
        ("+++\nslug = 'x'\n\nA story.\n", "no closing '+++' line"),
    ],
)
def test_the_article_needs_its_front_matter(folder: Path, text: str, message: str) -> None:
    (folder / ARTICLE_FILE).write_text(text, encoding="utf-8")
    assert message in _error(folder)


def test_a_missing_file_is_named(folder: Path) -> None:
    (folder / DISCUSSION_FILE).unlink()
    assert _error(folder).startswith(f"{folder / DISCUSSION_FILE}: cannot be read")


def test_the_image_must_be_a_file_beside_the_demos_others(folder: Path, tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    assert "image.file: no file 'harbour-bridge.svg'" in _error(folder, static)
    shutil.copy(Path(str(STATIC / "harbour-bridge.svg")), static)
    assert load(folder, static, content.STATIC_URL).article == ARTICLE
