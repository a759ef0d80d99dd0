"""Amounts and counts for the reader's locale, with Babel: ``895 $`` in fr-CA, ``$895`` in
en-US, ``895 €`` in de-DE; the locale's own digits and direction (``ar-EG`` is right to left).

The locale is the territory-bearing tag the embed passes (``?locale=fr-CA``, from the host page's
``lang``) or the first such tag of ``Accept-Language``; only a tag Babel knows is used, in its
canonical form, so a cache key holds one of a few hundred values. A meter shows whole units when
every amount it shows is whole (a goal of 5,000 $ and 895 $ raised), else every amount with the
currency's digits (``895,50 €`` of ``5 000,00 €``), so the figures on one meter line up.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal, parse_pattern

from rostra.domain.funding import currency_exponent

MAX_TAG = 35


@lru_cache(maxsize=512)
def _parse(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def pick_locale(asked: str | None, accept: str | None, language: str) -> Locale:
    """The formatting locale: ``asked`` when Babel knows it, else the first known tag of
    ``Accept-Language``, else ``language`` (the page's language) alone."""
    candidates = [asked or ""]
    if accept:
        candidates += [part.split(";")[0].strip() for part in accept.split(",")[:8]]
    for tag in candidates:
        if tag and len(tag) <= MAX_TAG and tag.replace("-", "").replace("_", "").isalnum():
            found = _parse(tag)
            if found is not None:
                return found
    return _parse(language) or Locale("en")


def locale_tag(locale: Locale) -> str:
    """BCP 47 spelling for the ``lang`` attribute: ``fr-CA``."""
    return str(locale).replace("_", "-")


@lru_cache(maxsize=2048)
def _pattern(locale: Locale, whole: bool) -> object:
    pattern = parse_pattern(locale.currency_formats["standard"].pattern)
    if whole:
        pattern = copy.copy(pattern)
        pattern.frac_prec = (0, 0)
    return pattern


def all_whole(amounts: list[int], currency: str) -> bool:
    unit = 10 ** currency_exponent(currency)
    return all(a % unit == 0 for a in amounts)


def format_money(minor: int, currency: str, locale: Locale, *, whole: bool) -> str:
    """``minor`` units of ``currency`` as the locale writes money (``whole``: no decimals)."""
    exponent = currency_exponent(currency)
    value = Decimal(minor).scaleb(-exponent)
    pattern = _pattern(locale, whole)
    return str(pattern.apply(value, locale, currency=currency, currency_digits=not whole))  # type: ignore[attr-defined]


def format_count(n: int, locale: Locale) -> str:
    return str(format_decimal(n, locale=locale))
