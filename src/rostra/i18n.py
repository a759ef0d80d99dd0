"""Translations: gettext catalogues shipped in ``rostra/locale`` and language negotiation.

Every user-facing string goes through here, in templates (Jinja's i18n extension), in the API's
problem documents and in the CLI.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "rostra"


@lru_cache(maxsize=32)
def translations(language: str) -> NullTranslations:
    """The catalogue for ``language``; English (the source language) needs none."""
    if language == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


def negotiate(accept_language: str | None, offered: tuple[str, ...], default: str) -> str:
    """Pick the best offered language for an ``Accept-Language`` header (RFC 9110 q-values)."""
    if not accept_language:
        return default
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in offered and quality > 0:
            choices.append((-quality, index, primary))
    return min(choices)[2] if choices else default
