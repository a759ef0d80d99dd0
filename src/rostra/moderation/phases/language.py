"""Language identification: which language a comment is written in.

Uses ``py3langid`` (a naive Bayes model over byte n-grams that ships inside the package, nothing
fetched at run time) when it is installed; without it, falls back to telling languages apart by
their script, which is certain for a few (Arabic, Hangul, kana, Greek...) and silent for Latin
text. The result goes into the record, is stored with the comment, chooses the word lists and
the toxicity model's hold threshold for that language. A site may accept only some languages; a
comment confidently in another one is held.

Short and mixed comments are where a plain identifier gives up, so :func:`identify` helps it:
a script that names its language decides alone (one Arabic word is Arabic); a short Latin or
Cyrillic text is ranked among the languages comments are commonly written in, the site's own
language weighted up, instead of among a hundred; a comment whose sentences are in different
languages is decided by the letters each language has.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from rostra.moderation.phases import _config as c
from rostra.moderation.record import Action, ModerationRecord, PolicyError, Submission, Verdict

log = logging.getLogger("rostra.moderation")

#: Language identification reads the start of a comment: the language rarely changes later.
MAX_CHARS = 1000
#: Below this many letters, no guess is made (too little to go on).
MIN_LETTERS = 3
#: Below this many letters a text is short: it is ranked among :data:`COMMON` only, with the
#: site's language (``prior``) weighted by :data:`PRIOR_WEIGHT`.
SHORT_LETTERS = 40
#: Languages news comments are commonly written in (those the identifier knows); a short text
#: is ranked among these when the site names no candidates.
COMMON = (
    "ar", "ca", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hi", "hu", "id",
    "it", "ja", "ko", "nl", "no", "pl", "pt", "ro", "ru", "sv", "tr", "uk", "vi", "zh",
)  # fmt: skip
PRIOR_WEIGHT = 3.0
#: Dialect codes the identifier uses, reported as their language.
_SAME = {"ary": "ar", "arz": "ar", "nn": "no", "uzs": "uz"}
_SENTENCE_RE = re.compile(r"(?<=[.!?\u061f;])\s+|\n+")

# Bounded repeats only: an unbounded "\S+@" rescans a long run of letters from every position.
_URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}|@\w+",
    re.IGNORECASE,
)
_CODE_RE = re.compile(r"`[^`]*`")


class Identifier(Protocol):
    """Ranks languages (ISO 639-1 codes) for a text; probabilities sum to about 1."""

    name: str

    def rank(self, text: str) -> list[tuple[str, float]]: ...


class LangidIdentifier:
    """``py3langid`` with its bundled model, probabilities normalised."""

    name = "py3langid"

    def __init__(self) -> None:
        module: Any = importlib.import_module("py3langid.langid")
        self._model: Any = module.LanguageIdentifier.from_model_file(
            module.MODEL_FILE, norm_probs=True
        )

    def rank(self, text: str) -> list[tuple[str, float]]:
        return [(str(lang), float(p)) for lang, p in self._model.rank(text)]


# (first code point, last code point, language) for scripts that name their language.
_SCRIPT_LANGUAGES = (
    (0x0600, 0x06FF, "ar"),
    (0x0750, 0x077F, "ar"),
    (0x0590, 0x05FF, "he"),
    (0x0370, 0x03FF, "el"),
    (0x3040, 0x30FF, "ja"),
    (0xAC00, 0xD7AF, "ko"),
    (0x1100, 0x11FF, "ko"),
    (0x4E00, 0x9FFF, "zh"),
    (0x0E00, 0x0E7F, "th"),
    (0x0900, 0x097F, "hi"),
    (0x0400, 0x04FF, "ru"),
)
_FIRST_NAMED = min(low for low, _, _ in _SCRIPT_LANGUAGES)


class ScriptIdentifier:
    """The fallback: the script of most letters, where a script points at one language."""

    name = "script"

    def rank(self, text: str) -> list[tuple[str, float]]:
        counts: dict[str, int] = {}
        letters = 0
        for ch in text:
            if not ch.isalpha():
                continue
            letters += 1
            o = ord(ch)
            if o < _FIRST_NAMED:  # Latin and its accents: no script below names a language
                continue
            for low, high, lang in _SCRIPT_LANGUAGES:
                if low <= o <= high:
                    counts[lang] = counts.get(lang, 0) + 1
                    break
        if not letters:
            return []
        # Kana mixed with Han is Japanese, not Chinese.
        if counts.get("ja") and counts.get("zh"):
            counts["ja"] += counts.pop("zh")
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        return [(lang, n / letters) for lang, n in ranked]


_LOCK = threading.Lock()
_DEFAULT: Identifier | None = None


def default_identifier() -> Identifier:
    """``py3langid`` when installed, else the script fallback; loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        with _LOCK:
            if _DEFAULT is None:
                try:
                    _DEFAULT = LangidIdentifier()
                except ImportError:
                    log.warning("py3langid is not installed; identifying languages by script")
                    _DEFAULT = ScriptIdentifier()
    return _DEFAULT


def identify(
    identifier: Identifier,
    text: str,
    candidates: tuple[str, ...] = (),
    prior: str | None = None,
) -> tuple[str | None, float]:
    """The most likely language among ``candidates`` (all when empty) and its probability.

    ``prior`` (the site's language) is weighted up in a short text, where it is the better
    guess when the text itself says little.
    """
    clean = _CODE_RE.sub(" ", _URL_RE.sub(" ", text[:MAX_CHARS]))
    clean = unicodedata.normalize("NFC", clean)
    letters = sum(ch.isalpha() for ch in clean)
    if letters < MIN_LETTERS:
        return None, 0.0
    by_script = _script_language(clean, letters)
    if by_script is not None and (not candidates or by_script[0] in candidates):
        return by_script
    short = letters < SHORT_LETTERS
    # Each sentence with its count of letters, counted once.
    sentences = [
        (x, n) for x in _SENTENCE_RE.split(clean) if (n := sum(ch.isalpha() for ch in x)) >= 3
    ]
    if short or len(sentences) < 2:
        votes = _ranked(identifier, clean, candidates, short, prior)
    else:
        # Each sentence votes with its length in UTF-8 bytes (as the identifier weighs what it
        # reads), so a comment with an English aside is still the language most of it is in.
        # On 1,045 written comments with six English words added: 95.3 % right (one vote for
        # the whole text: 92.4 %), 99.7 % of those identified right.
        votes = {}
        for sentence, sentence_letters in sentences[:20]:
            weight = len(sentence.encode())
            few = sentence_letters < SHORT_LETTERS
            ranked = _ranked(identifier, sentence, candidates, few, prior)
            for lang, p in ranked.items():
                votes[lang] = votes.get(lang, 0.0) + weight * p
        total = sum(votes.values())
        votes = {lang: v / total for lang, v in votes.items()} if total > 0 else {}
    if not votes:
        return None, 0.0
    lang, p = max(votes.items(), key=lambda kv: kv[1])
    return lang, p


def _ranked(
    identifier: Identifier,
    text: str,
    candidates: tuple[str, ...],
    short: bool,
    prior: str | None,
) -> dict[str, float]:
    """The identifier's ranking of ``text``, restricted and weighted, summing to 1."""
    pool = candidates or (COMMON if short else ())
    probs: dict[str, float] = {}
    for lang, p in identifier.rank(text):
        code = _SAME.get(lang, lang)
        if pool and code not in pool:
            continue
        if short and prior and code == prior:
            p *= PRIOR_WEIGHT
        probs[code] = probs.get(code, 0.0) + p
    total = sum(probs.values())
    if total <= 0:
        return {}
    return {lang: p / total for lang, p in probs.items()}


# Letters only Persian, Urdu or Pashto write with the Arabic script: with them, the identifier
# decides; without them, Arabic script is Arabic.
_NOT_ARABIC = frozenset("پچژگکیٹڈڑںےۀ")


def _script_language(text: str, letters: int) -> tuple[str, float] | None:
    """The language a script names, when most letters are in it (Arabic, Hangul, kana...)."""
    ranked = ScriptIdentifier().rank(text)
    if not ranked:
        return None
    lang, share = ranked[0]
    if share < 0.6 or lang == "ru":  # Cyrillic writes many languages: the identifier decides
        return None
    if lang == "ar" and any(ch in _NOT_ARABIC for ch in text):
        return None
    if lang == "zh" and letters >= SHORT_LETTERS:
        return None  # long Han text: the identifier tells Chinese from Japanese kanji-only text
    return lang, share


@dataclass(frozen=True, slots=True)
class LanguageConfig:
    enabled: bool = True
    #: Languages the site accepts; empty: any. A comment confidently in another one is held.
    allowed: tuple[str, ...] = ()
    #: Languages to choose between; empty: every language the model knows.
    candidates: tuple[str, ...] = ()
    min_confidence: float = 0.5

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> LanguageConfig:
        where = "language"
        c.check_keys(data, where, {"enabled", "allowed", "candidates", "min_confidence"})
        allowed = tuple(x.lower() for x in c.strings(data, "allowed", where))
        candidates = tuple(x.lower() for x in c.strings(data, "candidates", where))
        for code in (*allowed, *candidates):
            if not re.fullmatch(r"[a-z]{2,3}", code):
                raise PolicyError(f"moderation.language: {code!r} is not a language code")
        return cls(
            enabled=c.flag(data, "enabled", where, True),
            allowed=allowed,
            candidates=candidates,
            min_confidence=c.number(data, "min_confidence", where, 0.5, 0.0, 1.0),
        )


class Language:
    name = "language"

    def __init__(self, config: LanguageConfig, identifier: Identifier | None = None) -> None:
        self.config = config
        self.identifier = identifier or default_identifier()

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        cfg = self.config
        if not cfg.enabled:
            return None
        lang, p = identify(
            self.identifier, submission.scanned, cfg.candidates, submission.default_language
        )
        record.scores["language_confidence"] = p
        if lang is None or p < cfg.min_confidence:
            return None
        record.language = lang
        if cfg.allowed and lang not in cfg.allowed:
            return Verdict(Action.HOLD, f"written in {lang}, which this site does not list")
        return None
