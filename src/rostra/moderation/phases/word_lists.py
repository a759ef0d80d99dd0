"""Per-site word lists: a reject list and a suspect list, per language, with ``*`` wildcards.

Entries and comments are compared after the same evasion-normalisation
(:func:`rostra.moderation.normalize.normalize`: case, accents, look-alike letters, leetspeak,
spaced-out letters), so an entry ``idiot`` also finds ``1D10T``, ``і d i o t`` and ``idiooooot``.
Each letter of an entry matches a run of that letter; ``*`` matches any letters inside a word
(``*hole``, ``stupid*``); entries match whole words or phrases, never the inside of a word.

The syntax is deliberately small: anything that looks like a regular expression is refused, and
so is an entry that would match almost anything (``*a*``). A bad entry raises
:class:`WordListError` naming the list, the language and the entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from rostra.domain.errors import N_
from rostra.moderation.normalize import normalize
from rostra.moderation.record import Action, ModerationRecord, PolicyError, Submission, Verdict

MAX_ENTRY_CHARS: Final = 100
MAX_ENTRIES: Final = 5000
#: A wildcard entry needs this many letters besides ``*`` not to match half of every text.
MIN_WILDCARD_LETTERS: Final = 3
ALL_LANGUAGES: Final = "*"

_REGEX_SYNTAX: Final = frozenset("\\[](){}?^+|")
_PUNCT_RE: Final = re.compile(r"[^\w\s*]+|_")
_TEXT_PUNCT_RE: Final = re.compile(r"[^\w\s]+|_")
_INNER_PUNCT_RE: Final = re.compile(r"(?<=\w)(?:[^\w\s]|_)+(?=\w)")
_RUN_RE: Final = re.compile(r"(.)\1*", re.DOTALL)


class WordListError(PolicyError):
    """A word-list entry is not a valid pattern."""


@dataclass(frozen=True, slots=True)
class Entry:
    text: str
    pattern: re.Pattern[str]


def compile_entry(entry: object, where: str) -> Entry:
    """Validate one entry and turn it into a regular expression (``where`` names it in errors)."""
    if not isinstance(entry, str):
        raise WordListError(f"{where}: entries must be strings")
    raw = entry.strip()
    if not raw:
        raise WordListError(f"{where}: the entry is empty")
    shown = raw[:40]
    if len(raw) > MAX_ENTRY_CHARS:
        raise WordListError(f'{where} "{shown}...": longer than {MAX_ENTRY_CHARS} characters')
    if any(not ch.isprintable() for ch in raw):
        escaped = raw.encode("unicode_escape").decode()[:60]
        raise WordListError(f'{where}: "{escaped}" has control characters')
    bad = sorted({ch for ch in raw if ch in _REGEX_SYNTAX})
    if bad:
        raise WordListError(
            f'{where} "{shown}": {" ".join(bad)} not allowed; the only wildcard is * '
            "(regular expressions are not supported)"
        )
    parts = raw.split("*")
    literal = [_canonical(p) for p in parts]
    letters = sum(ch.isalnum() for p in literal for ch in p)
    if letters == 0:
        raise WordListError(f'{where} "{shown}": an entry needs at least one letter')
    if len(parts) > 1 and letters < MIN_WILDCARD_LETTERS:
        raise WordListError(
            f'{where} "{shown}": too broad; an entry with * needs at least '
            f"{MIN_WILDCARD_LETTERS} letters besides it"
        )
    pieces: list[str] = []
    for i, part in enumerate(literal):
        if i:
            pieces.append(r"\w*")
        for run in _RUN_RE.finditer(part):
            ch, n = run.group(1), len(run.group(0))
            if ch == " ":
                pieces.append(r"\s+")
            else:
                # a letter matches a run of itself: "ass" finds "asss" but not "as"
                pieces.append(re.escape(ch) + ("+" if n == 1 else f"{{{n},}}"))
    body = "".join(pieces)
    try:
        pattern = re.compile(rf"(?<!\w){body}(?!\w)")
    except re.error as exc:  # pragma: no cover - escaped input always compiles
        raise WordListError(f'{where} "{shown}": {exc}') from exc
    return Entry(raw, pattern)


def _canonical(part: str) -> str:
    """An entry fragment in the form comments are compared in (spaces at its ends kept)."""
    lead = " " if part[:1].isspace() else ""
    trail = " " if part[-1:].isspace() and part.strip() else ""
    core = _PUNCT_RE.sub("", normalize(part)).strip()
    core = " ".join(core.split())
    return f"{lead}{core}{trail}" if core else lead


def text_forms(normalized: str) -> tuple[str, str]:
    """The comment as compared: punctuation as spaces, and punctuation inside words dropped."""
    spaced = " ".join(_TEXT_PUNCT_RE.sub(" ", normalized).split())
    joined = " ".join(_TEXT_PUNCT_RE.sub(" ", _INNER_PUNCT_RE.sub("", normalized)).split())
    return spaced, joined


class WordList:
    """One list for one language: all entries in one alternation, checked one by one on a hit."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = tuple(entries)
        self._any = (
            re.compile("|".join(f"(?:{e.pattern.pattern})" for e in entries)) if entries else None
        )

    def first_match(self, forms: Sequence[str]) -> Entry | None:
        if self._any is None or not any(self._any.search(f) for f in forms):
            return None
        for entry in self.entries:
            if any(entry.pattern.search(f) for f in forms):
                return entry
        return None  # pragma: no cover - the alternation matched, so one entry does


def _parse_list(value: object, name: str) -> dict[str, WordList]:
    """``[entries]`` (every language) or ``{"*": [...], "en": [...], ...}``."""
    if value is None:
        return {}
    if isinstance(value, list | tuple):
        value = {ALL_LANGUAGES: list(value)}
    if not isinstance(value, Mapping):
        raise WordListError(f"moderation.word_lists.{name} must be a list or an object")
    out: dict[str, WordList] = {}
    total = 0
    for lang, entries in value.items():
        if not isinstance(lang, str) or not (
            lang == ALL_LANGUAGES or re.fullmatch(r"[a-z]{2,3}", lang)
        ):
            raise WordListError(
                f"moderation.word_lists.{name}: {lang!r} is not a language code (or *)"
            )
        if not isinstance(entries, list | tuple):
            raise WordListError(f"moderation.word_lists.{name}.{lang} must be a list")
        total += len(entries)
        if total > MAX_ENTRIES:
            raise WordListError(f"moderation.word_lists.{name} has more than {MAX_ENTRIES} entries")
        compiled = [
            compile_entry(e, f"moderation.word_lists.{name}.{lang} entry {i + 1}")
            for i, e in enumerate(entries)
        ]
        out[lang] = WordList(compiled)
    return out


@dataclass(frozen=True, slots=True)
class WordListConfig:
    reject: Mapping[str, WordList]
    suspect: Mapping[str, WordList]

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> WordListConfig:
        unknown = sorted(set(data) - {"reject", "suspect"})
        if unknown:
            raise PolicyError(f"moderation.word_lists has unknown list(s): {', '.join(unknown)}")
        return cls(
            reject=_parse_list(data.get("reject"), "reject"),
            suspect=_parse_list(data.get("suspect"), "suspect"),
        )

    @property
    def empty(self) -> bool:
        return not any(wl.entries for wl in (*self.reject.values(), *self.suspect.values()))


def _lists_for(lists: Mapping[str, WordList], languages: Sequence[str]) -> list[WordList]:
    return [lists[k] for k in (ALL_LANGUAGES, *languages) if k in lists]


class WordLists:
    name = "word_lists"

    def __init__(self, config: WordListConfig) -> None:
        self.config = config

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        if self.config.empty:
            return None
        # A comment in a known language meets that language's lists; when the language is not
        # known, the site's own language stands in for it.
        lang = record.language or submission.default_language
        forms = text_forms(submission.normalized)
        for wl in _lists_for(self.config.reject, [lang]):
            hit = wl.first_match(forms)
            if hit is not None:
                record.facts["word_list"] = "reject"
                return Verdict(
                    Action.REJECT,
                    f"matches the reject list entry {hit.text!r}",
                    message=N_("Your comment contains words that this site does not accept."),
                )
        for wl in _lists_for(self.config.suspect, [lang]):
            hit = wl.first_match(forms)
            if hit is not None:
                record.facts["word_list"] = "suspect"
                return Verdict(Action.HOLD, f"matches the suspect list entry {hit.text!r}")
        return None
