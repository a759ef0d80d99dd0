"""Evasion-resistant text normalisation for moderation.

Commenters who want to get abuse past a filter disguise words: ``F U C K``,
``f.u.c.k``, ``sh1t``, ``@ss``, ``fuuuuck``, Cyrillic letters that look Latin
(``ѕhіt``), Latin letters inside Cyrillic words (``xyй``), full-width or
"mathematical bold" letters, zero-width spaces and soft hyphens.  The functions
here undo those tricks so that word lists and the toxicity classifier see one
canonical spelling.

Everything is a pure function of ``str`` with no I/O and no third-party
dependency, so the word-list matcher, the classifier and its training script
all share exactly the same behaviour.

The main entry points are:

* :func:`normalize` -- the full pipeline, keeps word boundaries and
  punctuation, suitable as input to a model or a word-boundary regex;
* :func:`skeleton` -- a more aggressive key (every repeated letter collapsed,
  separators inside words dropped) for matching against a word list.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = [
    "collapse_whitespace",
    "deleet",
    "fold_accents",
    "fix_homoglyphs",
    "join_spaced_letters",
    "normalize",
    "normalize_arabic",
    "skeleton",
    "squeeze_repeats",
    "strip_invisible",
]

# --------------------------------------------------------------------------
# Invisible characters
# --------------------------------------------------------------------------

#: Format / invisible code points used to split words without showing a space:
#: zero-width space/joiners, LRM/RLM and bidi embeddings/isolates, word joiner,
#: invisible operators, BOM, soft hyphen, combining grapheme joiner, Mongolian
#: vowel separator, Hangul fillers and variation selectors.
_INVISIBLE_RE: Final = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)


def strip_invisible(text: str) -> str:
    """Remove zero-width, bidi-control and other invisible characters."""
    return _INVISIBLE_RE.sub("", text)


# --------------------------------------------------------------------------
# Homoglyphs (mixed scripts inside one word)
# --------------------------------------------------------------------------

_CYR_TO_LAT: Final[dict[str, str]] = {
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ь": "b",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ѕ": "s",
    "һ": "h",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "ӏ": "l",
    "г": "r",
    "п": "n",
    "и": "u",
    "А": "A",
    "В": "B",
    "Е": "E",
    "Ё": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "У": "Y",
    "Х": "X",
    "І": "I",
    "Ї": "I",
    "Ј": "J",
    "Ѕ": "S",
    "Һ": "H",
    "Ԁ": "D",
    "Ԛ": "Q",
    "Ԝ": "W",
    "Ӏ": "I",
}
_GRK_TO_LAT: Final[dict[str, str]] = {
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "γ": "y",
    "ω": "w",
    "μ": "u",
    "ς": "s",
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
}
_LAT_TO_CYR: Final[dict[str, str]] = {
    "a": "а",
    "b": "в",
    "c": "с",
    "e": "е",
    "h": "н",
    "k": "к",
    "m": "м",
    "n": "п",
    "o": "о",
    "p": "р",
    "r": "г",
    "t": "т",
    "u": "и",
    "x": "х",
    "y": "у",
    "i": "і",
    "A": "А",
    "B": "В",
    "C": "С",
    "E": "Е",
    "H": "Н",
    "K": "К",
    "M": "М",
    "O": "О",
    "P": "Р",
    "T": "Т",
    "X": "Х",
    "Y": "У",
    # digits and symbols commonly used as Cyrillic letters
    "0": "о",
    "3": "з",
    "4": "ч",
    "6": "б",
    "@": "а",
}
# Letters that exist in only one of the scripts, i.e. that reveal which script a
# word "really" is in.  Computed as: letters of that script that are not keys of
# the confusable tables.
_AMBIGUOUS: Final[frozenset[str]] = (
    frozenset(_CYR_TO_LAT)
    | frozenset(_GRK_TO_LAT)
    | frozenset(k for k in _LAT_TO_CYR if k.isalpha())
)


def _script(ch: str) -> str:
    o = ord(ch)
    if ch.isascii():
        return "latin" if ch.isalpha() else ""
    if 0x00C0 <= o <= 0x024F or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    if 0x0400 <= o <= 0x052F:
        return "cyrillic"
    if 0x0370 <= o <= 0x03FF or 0x1F00 <= o <= 0x1FFF:
        return "greek"
    return "other" if ch.isalpha() else ""


def _fix_word(word: str) -> str:
    strong: dict[str, int] = {"latin": 0, "cyrillic": 0, "greek": 0, "other": 0}
    weak: dict[str, int] = {"latin": 0, "cyrillic": 0, "greek": 0, "other": 0}
    for ch in word:
        s = _script(ch)
        if not s:
            continue
        weak[s] += 1
        if ch not in _AMBIGUOUS:
            strong[s] += 1
    scripts = [s for s in ("latin", "cyrillic", "greek") if weak[s]]
    has_digit_or_at = any(c.isdigit() or c == "@" for c in word)
    if len(scripts) < 2 and not (scripts == ["cyrillic"] and has_digit_or_at):
        return word
    counts = strong if any(strong.values()) else weak
    # Ties go to Latin: it is the script attackers imitate most often.
    if counts["cyrillic"] > counts["latin"] and counts["cyrillic"] >= counts["greek"]:
        # digits/@ only count as letters inside a word that has a real letter
        return "".join(_LAT_TO_CYR.get(c, c) for c in word)
    if counts["greek"] > counts["latin"] and counts["greek"] > counts["cyrillic"]:
        return word
    return "".join(_CYR_TO_LAT.get(c, _GRK_TO_LAT.get(c, c)) for c in word)


_NON_LATIN_LOOKALIKE_RE: Final = re.compile("[\u0370-\u03ff\u0400-\u052f\u1f00-\u1fff]")
_LATIN_OR_DIGIT_RE: Final = re.compile("[A-Za-z0-9@\u00c0-\u024f\u1e00-\u1eff]")
_MIXED_WORD_RE: Final = re.compile("[^\\s]*[\u0370-\u03ff\u0400-\u052f\u1f00-\u1fff][^\\s]*")


def fix_homoglyphs(text: str) -> str:
    """Repair words that mix Latin, Cyrillic and Greek look-alike letters.

    Each whitespace-separated word is assigned the script of its letters that
    exist in only one alphabet (falling back to a simple majority, ties going
    to Latin), and look-alike letters from the other alphabets are mapped into
    it: ``"ѕhіt"`` -> ``"shit"``, ``"xyй"`` -> ``"хуй"``.  Words written in a
    single script are returned unchanged, so ordinary Russian or Greek text is
    not touched.  Inside Cyrillic words, ``0 3 4 6 @`` are read as ``о з ч б а``.
    """
    # Fast paths: nothing to repair without both a Cyrillic/Greek letter and a
    # Latin letter or digit somewhere in the text.
    if not _NON_LATIN_LOOKALIKE_RE.search(text) or not _LATIN_OR_DIGIT_RE.search(text):
        return text

    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        return _fix_word(w) if _LATIN_OR_DIGIT_RE.search(w) else w

    return _MIXED_WORD_RE.sub(fix, text)


# --------------------------------------------------------------------------
# Accents and script-specific folding
# --------------------------------------------------------------------------

_ARABIC_DIACRITICS_RE: Final = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS: Final = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def normalize_arabic(text: str) -> str:
    """Remove Arabic short-vowel marks and tatweel and unify alef/yaa/taa-marbuta forms."""
    return _ARABIC_DIACRITICS_RE.sub("", text).translate(_ARABIC_LETTERS)


def fold_accents(text: str) -> str:
    """Strip diacritics from Latin and Greek letters (``é`` -> ``e``, ``ü`` -> ``u``).

    Cyrillic letters keep their marks (``й`` is a different letter from ``и``)
    except ``ё``, which is written ``е`` by most Russian writers anyway.
    Arabic is handled by :func:`normalize_arabic`; other scripts are unchanged.
    """
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        if ch in "ёЁ":
            out.append("е" if ch == "ё" else "Е")
            continue
        s = _script(ch)
        if s in ("latin", "greek"):
            decomposed = unicodedata.normalize("NFD", ch)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            out.append(unicodedata.normalize("NFC", base) if base else ch)
        elif unicodedata.combining(ch) and out and _script(out[-1][-1:] or " ") in ("latin", ""):
            # a stray combining mark after a Latin letter (e.g. "fu\u0301ck")
            continue
        else:
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------
# Spacing tricks, leetspeak, repeated letters
# --------------------------------------------------------------------------

# Three or more single letters separated by one separator each: "f u c k",
# "f.u.c.k", "f-u-c-k", "f_u_c_k", "f*u*c*k".
_SPACED_RE: Final = re.compile(r"(?<!\w)(?:[^\W\d_][ .\-_*·+/|]){2,}[^\W\d_](?!\w)")
_SPACED_SEP_RE: Final = re.compile(r"[ .\-_*·+/|]")
_SPACED_HINT_RE: Final = re.compile(r"\b[^\W\d_][ .\-_*·+/|][^\W\d_]\b")


def join_spaced_letters(text: str) -> str:
    """Join words spelled out letter by letter: ``"f u c k"`` -> ``"fuck"``.

    At least three single letters are needed, so "a b" or "y a" stay as written.
    """
    if not _SPACED_HINT_RE.search(text):
        return text
    return _SPACED_RE.sub(lambda m: _SPACED_SEP_RE.sub("", m.group(0)), text)


_LEET: Final[dict[str, str]] = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
    "€": "e",
    "£": "l",
    "¡": "i",
}
_LEET_SYMBOLS: Final = frozenset("@$€£¡")
# Tokens that legitimately mix digits and letters: ordinals, units, model names.
_KEEP_DIGITS_RE: Final = re.compile(
    r"^\d+(?:st|nd|rd|th|s|e|er|re|eme|ème|è|te|ten|ter|ste|sten|ый|ой|ий|го|ом|х|"
    r"km|kg|g|m|cm|mm|h|min|k|bn|mln|mio|mrd|x|am|pm|d|j|%)$"
)
# only tokens containing a leet character are looked at
# Anchored at the start of a token: unanchored, a long token without any of these characters
# was rescanned from every position (quadratic: 0.4 s for 10,000 letters).
_TOKEN_RE: Final = re.compile(r"(?<!\S)[^\s]*[0134579@$!|€£¡][^\s]*")
_EDGE_PUNCT: Final = "\"'“”‘’«»()[]{}<>,.;:?¿!…"


def _deleet_token(tok: str) -> str:
    # keep sentence punctuation around the token out of the way
    start, end = 0, len(tok)
    while start < end and tok[start] in _EDGE_PUNCT:
        start += 1
    while end > start and tok[end - 1] in _EDGE_PUNCT:
        end -= 1
    core = tok[start:end]
    if not core or not any(c.isalpha() for c in core) or not any(c in _LEET for c in core):
        return tok
    if _KEEP_DIGITS_RE.match(core):
        return tok
    n = len(core)
    chars = list(core)
    for i, c in enumerate(core):
        rep = _LEET.get(c)
        if rep is None:
            continue
        left = any(x.isalpha() for x in core[:i])
        right = any(x.isalpha() for x in core[i + 1 :])
        interior = left and right
        if interior or c in _LEET_SYMBOLS:
            chars[i] = rep
        elif c.isdigit() and right and not left and n - i >= 4:
            # leading digit followed by three or more letters: "5hit", "1diot"
            chars[i] = rep
    return tok[:start] + "".join(chars) + tok[end:]


def deleet(text: str) -> str:
    """Undo "leetspeak" digit/symbol substitutions inside words.

    ``"sh1t"`` -> ``"shit"``, ``"@ss"`` -> ``"ass"``, ``"1diot"`` -> ``"idiot"``,
    ``"a$$hole"`` -> ``"asshole"``.  Numbers, ordinals and units (``"2024"``,
    ``"3rd"``, ``"50km"``, ``"covid19"``) are left alone, as is sentence
    punctuation around a word.
    """
    return _TOKEN_RE.sub(lambda m: _deleet_token(m.group(0)), text)


_REPEAT_RE: Final = re.compile(r"(.)\1{2,}", re.DOTALL)


def squeeze_repeats(text: str, max_run: int = 2) -> str:
    """Shorten runs of the same character to ``max_run`` (``"fuuuuck"`` -> ``"fuuck"``)."""
    if max_run < 1:
        raise ValueError("max_run must be at least 1")
    pattern = re.compile(r"(.)\1{" + str(max_run) + ",}", re.DOTALL)
    return pattern.sub(lambda m: m.group(1) * max_run, text)


_WS_RE: Final = re.compile(r"\s+")


def collapse_whitespace(text: str) -> str:
    """Turn every run of whitespace into one space and trim the ends."""
    return _WS_RE.sub(" ", text).strip()


# --------------------------------------------------------------------------
# Pipelines
# --------------------------------------------------------------------------


def normalize(
    text: str,
    *,
    lowercase: bool = True,
    accents: bool = True,
    homoglyphs: bool = True,
    leet: bool = True,
    spaced: bool = True,
    max_run: int = 2,
) -> str:
    """Canonicalise ``text`` against common filter-evasion tricks.

    Steps, in order: remove invisible characters; Unicode NFKC (full-width and
    "fancy" letters become plain ones); repair mixed-script words
    (:func:`fix_homoglyphs`); case-fold; fold Latin/Greek accents and
    normalise Arabic (:func:`fold_accents`, :func:`normalize_arabic`); join
    letter-by-letter spelling (:func:`join_spaced_letters`); undo leetspeak
    (:func:`deleet`); squeeze character runs to ``max_run``; collapse
    whitespace.  Each step can be switched off with its keyword.

    The result keeps word boundaries and punctuation, so it is usable both as
    model input and for word-boundary matching.
    """
    t = strip_invisible(text)
    t = unicodedata.normalize("NFKC", t)
    if homoglyphs:
        t = fix_homoglyphs(t)
    if lowercase:
        t = t.casefold()
    if accents:
        t = normalize_arabic(fold_accents(t))
    if spaced:
        t = join_spaced_letters(t)
    if leet:
        t = deleet(t)
        if homoglyphs:
            t = fix_homoglyphs(t)
    if max_run > 0:
        t = squeeze_repeats(t, max_run)
    return collapse_whitespace(t)


_NON_WORD_RE: Final = re.compile(r"[^\w\s]+|_")


def skeleton(text: str) -> str:
    """An aggressive matching key: :func:`normalize`, then drop punctuation inside
    words (``"f*ck"`` -> ``"fck"``, ``"s.h.i.t"`` -> ``"shit"``) and collapse every
    repeated character to one (``"fuuuck"`` -> ``"fuck"``, ``"bitch"`` stays).

    Use it on both the word list and the text; compare whole words.
    """
    t = normalize(text, max_run=1)
    t = _NON_WORD_RE.sub("", t)
    return collapse_whitespace(_REPEAT_RE.sub(r"\1", t))
