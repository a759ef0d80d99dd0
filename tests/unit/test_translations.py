"""Every user-facing string is in the catalogue, and French is complete and well-formed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from rostra.i18n import DOMAIN, LOCALE_DIR, negotiate, translations

ROOT = Path(__file__).resolve().parents[2]
FRENCH_PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po"


def _extract() -> set[object]:
    """Message ids in the source now, extracted as ``make translations`` does (babel.cfg)."""
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found: set[object] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "src" / "rostra"), method_map
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def _french() -> Catalog:
    with FRENCH_PO.open(encoding="utf-8") as fh:
        return read_po(fh, locale="fr")


def test_french_translates_every_string_in_the_source() -> None:
    source_ids = _extract()
    catalogue = _french()
    # A fuzzy entry is a guess awaiting review: compiling drops it, so readers get the English.
    fuzzy = sorted(str(m.id) for m in catalogue if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy (review the French, then drop the `#, fuzzy` flag): {fuzzy}"
    translated = {
        (m.id if isinstance(m.id, str) else tuple(m.id))
        for m in catalogue
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(map(str, source_ids - translated))
    assert not missing, f"untranslated (run `make translations` and translate): {missing}"


def _not_served(loaded: NullTranslations, mo: Path, catalogue: Catalog) -> list[str]:
    """The .po's messages that the compiled ``mo``, loaded as ``loaded``, does not give in the
    .po's words: absent from the file, empty there, or loaded as something else."""
    with mo.open("rb") as fh:
        held = read_mo(fh)
    wrong = []
    for m in catalogue:
        if not m.id:
            continue  # the header
        kept = held.get(m.id)
        if kept is None or not (kept.string if isinstance(kept.string, str) else all(kept.string)):
            wrong.append(f"{m.id!r}: not in {mo.name}")
        elif isinstance(m.id, str):
            if loaded.gettext(m.id) != m.string or not m.string:
                wrong.append(f"{m.id!r}: loaded as {loaded.gettext(m.id)!r}")
        else:
            # French has two forms: the first for 0 and 1, the second from 2 (Plural-Forms).
            got = (loaded.ngettext(m.id[0], m.id[1], 1), loaded.ngettext(m.id[0], m.id[1], 2))
            if got != tuple(m.string) or not all(got):
                wrong.append(f"{m.id!r}: loaded as {got!r}")
    return wrong


def test_compiling_the_french_catalogue_keeps_every_translation(tmp_path: Path) -> None:
    """Compiled as `make translations` compiles it (pybabel compile, no --use-fuzzy) and loaded
    as rostra.i18n loads it, every msgid of the .po comes out in French."""
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(FRENCH_PO, target)
    done = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(tmp_path)]
        + ["-D", DOMAIN, "--statistics"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    mo = target / f"{DOMAIN}.mo"
    loaded = Translations.load(str(tmp_path), ["fr"], DOMAIN)
    assert isinstance(loaded, Translations), f"no catalogue compiled: {done.stderr}"
    wrong = _not_served(loaded, mo, _french())
    assert not wrong, f"lost in compiling ({done.stderr.strip()}): {wrong}"


def test_the_shipped_french_catalogue_matches_the_po() -> None:
    """The committed .mo, as the app loads it, gives every .po translation: a .po edited without
    `make translations` afterwards leaves readers the old words (or English)."""
    mo = LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{DOMAIN}.mo"
    wrong = _not_served(translations("fr"), mo, _french())
    assert not wrong, f"run `make translations`: the shipped .mo is stale: {wrong}"


def test_placeholders_survive_translation() -> None:
    catalogue = _french()
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
