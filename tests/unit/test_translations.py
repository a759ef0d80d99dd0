"""Every user-facing string is in the catalogue, and French is complete and well-formed."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from rostra.i18n import LOCALE_DIR, negotiate, translations

ROOT = Path(__file__).resolve().parents[2]


def _extract() -> set[object]:
    """Message ids in the source now, extracted as ``make translations`` does (babel.cfg)."""
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found: set[object] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "src" / "rostra"), method_map
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_french_translates_every_string_in_the_source() -> None:
    source_ids = _extract()
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "rostra.po").open(encoding="utf-8") as fh:
        catalogue = read_po(fh, locale="fr")
    translated = {
        (m.id if isinstance(m.id, str) else tuple(m.id))
        for m in catalogue
        if m.id and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(map(str, source_ids - translated))
    assert not missing, f"untranslated (run `make translations` and translate): {missing}"


def test_placeholders_survive_translation() -> None:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "rostra.po").open(encoding="utf-8") as fh:
        catalogue = read_po(fh, locale="fr")
    assert not [m.id for m in catalogue if m.id and m.check()], "placeholder mismatch"
    for message in catalogue:
        if isinstance(message.id, str) and message.id:
            for name in ("%(limit)d", "%(name)s", "%(when)s", "%(site)s", "%(origin)s"):
                assert (name in message.id) == (name in message.string), message.id


def test_compiled_french_catalogue_is_used() -> None:
    fr = translations("fr")
    assert fr.gettext("Reply") == "Répondre"
    assert fr.ngettext("%(num)d comment", "%(num)d comments", 2) == "%(num)d commentaires"
    assert translations("en").gettext("Reply") == "Reply"


def test_accept_language_negotiation() -> None:
    offered = ("en", "fr")
    assert negotiate("fr-CA,fr;q=0.9,en;q=0.5", offered, "en") == "fr"
    assert negotiate("de-DE,de;q=0.9", offered, "en") == "en"
    assert negotiate("de, en;q=0.2, fr;q=0.8", offered, "en") == "fr"
    assert negotiate("fr;q=0", offered, "en") == "en"
    assert negotiate("garbage;;;q=x", offered, "en") == "en"
