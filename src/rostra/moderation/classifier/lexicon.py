"""Small multilingual word lists used as category signals by the classifier.

Matching is done on :func:`rostra.moderation.normalize.skeleton` words, so
``"f*u*c*k"``, ``"sh1t"`` and ``"ѕhіt"`` all hit.  A term matches a word that
*starts* with it (stems), except terms ending in ``$`` which must match the whole
word.  These lists are deliberately short: they are a signal for the category
scores, not a moderation word list.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from rostra.moderation.normalize import normalize, skeleton, squeeze_repeats

__all__ = ["LEXICON_CATEGORIES", "lexicon_hits"]

_PROFANITY: Final = [
    "fuck",
    "fck",
    "fuk",
    "motherfuck",
    "shit$",
    "shite$",
    "shitty",
    "bullshit",
    "bitch",
    "asshole",
    "ashole",
    "arsehole",
    "cunt",
    "dick$",
    "dickhead",
    "bastard",
    "crap$",
    "wanker",
    "twat",
    "prick$",
    "bollock",
    "piss$",
    "pissed$",
    "goddamn",
    "damn$",
    "jackass",
    "dumbas",
    "merde",
    "merdique",
    "putain",
    "connard",
    "conard",
    "conasse",
    "enfoire",
    "encule",
    "nique$",
    "niquer",
    "batard",
    "bordel$",
    "couille",
    "salaud",
    "ta$gueule",
    "scheis",
    "scheiss",
    "arschloch",
    "arsch$",
    "fotze",
    "wichser",
    "fick$",
    "ficken",
    "fick$dich",
    "verpiss",
    "kacke",
    "mistkerl",
    "mierda",
    "puta$",
    "puto$",
    "putas$",
    "joder",
    "jodido",
    "jodete",
    "cono$",
    "gilipolas",
    "cabron",
    "capullo",
    "hostia$",
    "pendejo",
    "caralho",
    "porra$",
    "merda$",
    "foda-se",
    "fodase",
    "foda$",
    "cacete",
    "buceta",
    "cazzo",
    "vafanculo",
    "stronzo",
    "merda$",
    "kurwa",
    "pierdol",
    "chuj$",
    "jebac",
    "хуй",
    "хуе",
    "хуё",
    "хуя",
    "пизд",
    "бля$",
    "блят",
    "ебат",
    "ебан",
    "ебал",
    "ёб",
    "заеб",
    "уеб",
    "сука$",
    "суки$",
    "мудак",
    "говн",
    "гавн",
    "пидор",
    "пидар",
    "залуп",
    "كس$",
    "كسم",
    "زب$",
    "طيز",
    "منيوك",
    "شرموط",
    "خرا$",
    "خرة$",
    "متناك",
]

_SEXUAL: Final = [
    "slut",
    "whore$",
    "hoe$",
    "hoes$",
    "nudes$",
    "blowjob",
    "cock$",
    "cocks$",
    "pussy$",
    "tits$",
    "boobs$",
    "porn",
    "horny$",
    "rape$",
    "raped$",
    "jerk$off",
    "suck$my$dick",
    "salope",
    "pute$",
    "putes$",
    "pouffiasse",
    "baise$",
    "baiser$",
    "sucer$",
    "chatte$",
    "viol$",
    "violer",
    "schlampe",
    "hure$",
    "nutte",
    "votze",
    "vogelt",
    "titten",
    "vergewaltig",
    "zorra",
    "puta$",
    "putas$",
    "polla$",
    "folla",
    "violar",
    "vadia$",
    "puta$",
    "шлюх",
    "проститут",
    "трах",
    "минет",
    "сосать",
    "сосешь",
    "сиськ",
    "изнасил",
    "عاهر",
    "شرموط",
    "قحب",
    "منيوك",
    "نيك$",
    "زب$",
]

_THREAT_PATTERNS: Final = [
    # English
    r"\b(i ?'?ll|i will|gonna|going to|we will|we'll|someone should|somebody should|should be)"
    r" (kill|shoot|stab|hang|murder|beat|hurt|find|visit|burn|gas|behead|execute|lynch)",
    r"\bkill (you|him|her|them|all)\b",
    r"\b(you|u) (will|gonna|'ll) (die|pay|regret)",
    r"\bknow where (you|he|she|they) live",
    r"\bbreak (your|every bone|his|her)",
    r"\bput (a bullet|you in the ground|them (all )?against the wall)",
    r"\b(deserve|deserves) to (die|be shot|be hanged|hang)",
    r"\bsomething (will|is going to|might) happen to (you|your|him|her)",
    # French
    r"\bje (vais|va) te (tuer|buter|crever|defoncer|retrouver)",
    r"\bon sait ou (tu|il|elle) habit",
    r"\b(te|les|le|la) (tuer|buter|pendre|egorger)\b",
    r"\bcasse la gueule",
    r"\bil va (t|lui) arriver quelque chose",
    # German
    r"\bbring (dich|euch|ihn|sie) um",
    r"\b(abknallen|aufhangen|aufhaengen|erschiessen|abstechen)",
    r"\bwei(ss|ß) wo (du|er|sie) wohn",
    r"\b(gehort|gehoert|gehoren|gehoeren) (erschossen|aufgehangt|vergast)",
    r"\bdir passiert (bald )?(etwas|was)",
    # Spanish / Portuguese / Italian
    r"\bte (voy a|vamos a|vou) (matar|partir|reventar)",
    r"\bsabemos donde vive",
    r"\b(hay que|habria que|vamos a) (matar|colgar|fusilar)",
    r"\bte parto la cara",
    r"\bte ammazzo",
    r"\bvou te matar",
    # Russian
    r"\bубь(ю|ем)\b",
    r"\b(прибью|зарежу|пристрелю|закопаю|повешу|задушу)",
    r"\b(убить|расстрелять|повесить|перевешать|перевешают)\b",
    r"\bзнаю где (ты|он|она) жив",
    r"\bзубы выбью",
    # Arabic
    r"(سأقتل|ساقتل|راح اقتل|سنقتل|هقتلك|بقتلك|اذبح|سأذبح|ساذبح)",
    r"(سأكسر|ساكسر) (راس|رأس|وجه)",
    r"يجب (قتل|ذبح|اعدام|إعدام|شنق)",
]

LEXICON_CATEGORIES: Final = ("profanity", "sexual", "threat")


class _Terms:
    """Word-start (stem) and whole-word terms, matched word by word."""

    def __init__(self, terms: list[str]) -> None:
        self.whole: set[str] = set()
        self.stems: dict[str, list[str]] = {}
        for t in terms:
            whole = t.endswith("$")
            key = " ".join(skeleton(w) for w in t.rstrip("$").split("$"))
            if whole:
                self.whole.add(key)
            else:
                self.stems.setdefault(key[:1], []).append(key)

    def count(self, words: list[str]) -> int:
        n = 0
        bigrams = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        for w in words + bigrams:
            if w in self.whole or any(w.startswith(s) for s in self.stems.get(w[:1], ())):
                n += 1
        return n


@lru_cache(maxsize=1)
def _compiled() -> tuple[_Terms, _Terms, re.Pattern[str]]:
    return (
        _Terms(_PROFANITY),
        _Terms(_SEXUAL),
        re.compile("|".join(f"(?:{p})" for p in _THREAT_PATTERNS)),
    )


_NON_WORD_RE: Final = re.compile(r"[^\w\s]+|_")


def lexicon_hits(text: str, normalized: str | None = None) -> dict[str, int]:
    """Count word-list hits per category (``profanity``, ``sexual``, ``threat``).

    ``normalized`` may pass a precomputed :func:`rostra.moderation.normalize.normalize`
    of ``text`` (threat phrases are matched on it, words on its skeleton).
    """
    prof, sex, threat = _compiled()
    norm = normalized if normalized is not None else normalize(text)
    sk = _NON_WORD_RE.sub("", squeeze_repeats(norm, 1))
    words = sk.split()
    return {
        "profanity": prof.count(words),
        "sexual": sex.count(words),
        "threat": len(threat.findall(norm)),
    }
