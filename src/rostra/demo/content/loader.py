"""Read the demo's fiction from its data files, checking every key as it goes.

``harbour-bridge.md`` is the article: TOML front matter between two ``+++`` lines, then the
story's paragraphs. ``discussion.toml`` says who takes part in the discussion and what they write.
A wrong file stops the demo with a ``ContentError`` naming the file and the key, for example
``…/discussion.toml: comments[4] (ellery-1).edit.minutes_later: expected an integer, got a
string``. Whether the discussion keeps the rules (parents, edits, votes) is checked afterwards by
``rostra.demo.content.problems``; this module checks the shape of what it reads.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from importlib.resources.abc import Traversable
from typing import Any

ARTICLE_FILE = "harbour-bridge.md"
DISCUSSION_FILE = "discussion.toml"

FRONT_MATTER = "+++"
# What Markdown would make of a paragraph but the page shows as it is (the story is plain text).
_MARKUP = re.compile(r"[*`<>\[\]]|^#", re.MULTILINE)


class ContentError(ValueError):
    """A demo data file is wrong; the message names the file and the key."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")
        self.file = file
        self.key = key


@dataclass(frozen=True, slots=True)
class Article:
    """A news article as the newsroom's CMS would hold it."""

    slug: str
    section: str
    title: str
    standfirst: str
    author: str
    author_role: str
    dateline: str
    paragraphs: tuple[str, ...]
    image: str  # the illustration's URL path
    image_width: int
    image_height: int
    image_alt: str
    image_caption: str
    image_credit: str
    facts: tuple[tuple[str, str], ...] = ()
    reading_minutes: int = 4
    published_days_ago: int = 3
    published_hour_utc: int = 6
    published_minute_utc: int = 40


@dataclass(frozen=True, slots=True)
class Reader:
    """Someone in the discussion. ``name`` is None for a guest who stays "Anonymous"."""

    key: str
    name: str | None


@dataclass(frozen=True, slots=True)
class Edit:
    """A correction the author makes to their own comment, inside the edit window."""

    minutes_later: int
    body: str


@dataclass(frozen=True, slots=True)
class SeedComment:
    """One comment to replay: who, under what, when, in which language, and what happened next."""

    key: str
    parent: str | None
    reader: str
    minute: int
    language: str
    body: str
    votes: tuple[tuple[str, int], ...] = ()
    edit: Edit | None = None
    deleted_minute: int | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_minute is not None


@dataclass(frozen=True, slots=True)
class Fiction:
    """Everything the demo's data files hold."""

    article: Article
    readers: tuple[Reader, ...]
    comments: tuple[SeedComment, ...]


def _kind(value: object) -> str:
    """How an error names what it found instead."""
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "true/false"),
        (int, "an integer"),
        (float, "a number with a fraction"),
        (str, "a string"),
        (list, "a list"),
        (dict, "a table"),
        ((datetime, date, time), "a date or time"),
    )
    return next((name for cls, name in kinds if isinstance(value, cls)), type(value).__name__)


class _Table:
    """One TOML table being read: it remembers the keys asked for; a key left over is an error."""

    def __init__(self, file: str, where: str, data: dict[str, Any]) -> None:
        self.file = file
        self.where = where
        self.data = data
        self._read: set[str] = set()

    def error(self, key: str, problem: str) -> ContentError:
        return ContentError(self.file, f"{self.where}.{key}" if self.where else key, problem)

    def _value(self, key: str, wanted: type, name: str, required: bool) -> Any:
        self._read.add(key)
        if key not in self.data:
            if required:
                raise self.error(key, "missing")
            return None
        value = self.data[key]
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            raise self.error(key, f"expected {name}, got {_kind(value)}")
        return value

    def text(self, key: str) -> str:
        value: str = self._value(key, str, "a string", True)
        if not value.strip():
            raise self.error(key, "is empty")
        return value

    def _absent(self, key: str) -> bool:
        self._read.add(key)  # an optional key is still one that is expected here
        return key not in self.data

    def optional_text(self, key: str) -> str | None:
        return None if self._absent(key) else self.text(key)

    def integer(self, key: str, *, high: int | None = None) -> int:
        value: int = self._value(key, int, "an integer", True)
        if value < 0 or (high is not None and value > high):
            bounds = f"between 0 and {high}" if high is not None else "0 or more"
            raise self.error(key, f"must be {bounds}, got {value}")
        return value

    def optional_integer(self, key: str) -> int | None:
        return None if self._absent(key) else self.integer(key)

    def names(self, key: str) -> tuple[str, ...]:
        """A list of strings (keys of readers); an absent list is empty."""
        value: list[Any] | None = self._value(key, list, "a list of strings", False)
        for index, item in enumerate(value or ()):
            if not isinstance(item, str):
                raise self.error(f"{key}[{index}]", f"expected a string, got {_kind(item)}")
            if not item:
                raise self.error(f"{key}[{index}]", "is empty")
        return tuple(value or ())

    def table(self, key: str) -> _Table:
        value: dict[str, Any] = self._value(key, dict, "a table", True)
        return _Table(self.file, f"{self.where}.{key}" if self.where else key, value)

    def optional_table(self, key: str) -> _Table | None:
        return None if self._absent(key) else self.table(key)

    def tables(self, key: str) -> list[_Table]:
        """An array of tables (``[[key]]``); absent, it is empty."""
        value: list[Any] | None = self._value(key, list, "an array of tables", False)
        found: list[_Table] = []
        for index, item in enumerate(value or ()):
            where = f"{self.where}.{key}[{index}]" if self.where else f"{key}[{index}]"
            if not isinstance(item, dict):
                raise ContentError(self.file, where, f"expected a table, got {_kind(item)}")
            found.append(_Table(self.file, where, item))
        return found

    def done(self) -> None:
        """Refuse keys nobody read: a misspelt key would otherwise be silently ignored."""
        extra = [key for key in self.data if key not in self._read]
        if extra:
            expected = ", ".join(sorted(self._read)) or "none"
            raise self.error(extra[0], f"unknown key (expected one of: {expected})")


def _parse(file: str, text: str, first_line: int = 1) -> dict[str, Any]:
    # Blank lines in front keep the parser's line numbers those of the file.
    try:
        return tomllib.loads("\n" * (first_line - 1) + text)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(file, "", f"not valid TOML: {exc}") from None


def _read(folder: Traversable, name: str) -> tuple[str, str]:
    path = folder / name
    try:
        return str(path), path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(str(path), "", f"cannot be read: {exc}") from None


def _front_matter(file: str, text: str) -> tuple[dict[str, Any], str]:
    """The TOML between the ``+++`` lines, and the text after them."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FRONT_MATTER:
        raise ContentError(file, "", f"must start with a {FRONT_MATTER!r} line (TOML front matter)")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER), None)
    if end is None:
        raise ContentError(file, "", f"the front matter has no closing {FRONT_MATTER!r} line")
    data = _parse(file, "\n".join(lines[1:end]), first_line=2)
    return data, "\n".join(lines[end + 1 :])


def _paragraphs(file: str, body: str) -> tuple[str, ...]:
    """The story: paragraphs separated by blank lines; a paragraph's lines join with a space."""
    blocks = [b for b in re.split(r"\n[ \t]*\n", body.strip()) if b.strip()]
    if not blocks:
        raise ContentError(file, "story", "has no paragraphs after the front matter")
    found = []
    for number, block in enumerate(blocks, start=1):
        mark = _MARKUP.search(block)
        if mark is not None:
            raise ContentError(
                file,
                f"paragraph {number}",
                f"{mark.group()!r} would show as it is: the story is plain text, not markup",
            )
        found.append(" ".join(line.strip() for line in block.splitlines()))
    return tuple(found)


def _article(folder: Traversable, static: Traversable, static_url: str) -> Article:
    file, text = _read(folder, ARTICLE_FILE)
    data, body = _front_matter(file, text)
    top = _Table(file, "", data)
    published = top.table("published")
    image = top.table("image")
    image_file = image.text("file")
    if "/" in image_file or image_file.startswith(".") or not (static / image_file).is_file():
        raise image.error("file", f"no file {image_file!r} in {static}")
    fact_tables = top.tables("facts")
    facts = tuple((fact.text("figure"), fact.text("meaning")) for fact in fact_tables)
    article = Article(
        slug=top.text("slug"),
        section=top.text("section"),
        title=top.text("title"),
        standfirst=top.text("standfirst"),
        author=top.text("author"),
        author_role=top.text("author_role"),
        dateline=top.text("dateline"),
        paragraphs=_paragraphs(file, body),
        image=f"{static_url}/{image_file}",
        image_width=image.integer("width"),
        image_height=image.integer("height"),
        image_alt=image.text("alt"),
        image_caption=image.text("caption"),
        image_credit=image.text("credit"),
        facts=facts,
        reading_minutes=top.integer("reading_minutes"),
        published_days_ago=published.integer("days_ago"),
        published_hour_utc=published.integer("hour_utc", high=23),
        published_minute_utc=published.integer("minute_utc", high=59),
    )
    for table in (published, image, *fact_tables, top):
        table.done()
    return article


def _comment(table: _Table) -> SeedComment:
    key = table.text("key")
    table.where = f"{table.where} ({key})"  # errors name the comment, not just its position
    votes = tuple((voter, 1) for voter in table.names("up"))
    votes += tuple((voter, -1) for voter in table.names("down"))
    edit_table = table.optional_table("edit")
    edit = None
    if edit_table is not None:
        edit = Edit(edit_table.integer("minutes_later"), edit_table.text("body"))
        edit_table.done()
    comment = SeedComment(
        key=key,
        parent=table.optional_text("parent"),
        reader=table.text("reader"),
        minute=table.integer("minute"),
        language=table.text("language"),
        body=table.text("body"),
        votes=votes,
        edit=edit,
        deleted_minute=table.optional_integer("deleted_minute"),
    )
    table.done()
    return comment


def _discussion(folder: Traversable) -> tuple[tuple[Reader, ...], tuple[SeedComment, ...]]:
    file, text = _read(folder, DISCUSSION_FILE)
    top = _Table(file, "", _parse(file, text))
    named = top.table("readers")
    readers = [Reader(key, named.text(key)) for key in list(named.data)]
    for list_key in ("guests", "voters"):
        for index, key in enumerate(top.names(list_key)):
            if key in named.data or any(r.key == key for r in readers):
                raise top.error(f"{list_key}[{index}]", f"{key!r} is already a reader")
            readers.append(Reader(key, None))
    comments = tuple(_comment(table) for table in top.tables("comments"))
    if not comments:
        raise top.error("comments", "missing: the discussion has no [[comments]]")
    named.done()
    top.done()
    return tuple(readers), comments


def load(folder: Traversable, static: Traversable, static_url: str) -> Fiction:
    """Read the article and the discussion from ``folder``; its image must be in ``static``."""
    article = _article(folder, static, static_url)
    readers, comments = _discussion(folder)
    return Fiction(article, readers, comments)
