"""The embed's built-in English fallbacks and the strings the server hands it stay one set.

embed.js carries English fallbacks (its ``EN`` table) for the words it shows itself; the thread
fragment brings the reader's language in ``data-rostra-i18n`` and the embed lays that over the
fallbacks. A key the server does not send, a string French lacks, or a fallback that drifted from
its msgid would each leave a French reader looking at English: each fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from importlib.resources import files
from typing import Any

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from rostra.i18n import LOCALE_DIR
from rostra.web.embed_script import EARLY_MESSAGES
from tests.conftest import LiveServer

pytestmark = pytest.mark.in_process

# One entry of the EN table: ``key: 'text',`` (single-quoted, as the file is formatted).
ENTRY = re.compile(r"^\s*(\w+): '((?:[^'\\]|\\.)*)',$")
# The report reasons are the one entry that is not a string: the server alone knows them.
REASONS = re.compile(r"^\s*reasons: \[\],$")


def embed_source() -> str:
    return files("rostra.web").joinpath("static/embed.js").read_text("utf-8")


def fallbacks() -> dict[str, Any]:
    """The EN table of embed.js, read line by line; a line that is neither a string entry nor
    the empty reasons list fails, so the reading cannot silently skip a fallback."""
    found = re.search(r"^  const EN = \{\n(.*?)\n  \};$", embed_source(), re.MULTILINE | re.DOTALL)
    assert found is not None, "embed.js has no `const EN = { … };` table any more"
    table: dict[str, Any] = {}
    for line in found.group(1).splitlines():
        if REASONS.match(line):
            table["reasons"] = []
            continue
        entry = ENTRY.match(line)
        assert entry is not None, f"an EN line this test cannot read: {line!r}"
        key, text = entry.groups()
        assert "\\" not in text, f"{key}: an escape in a fallback; compare it by hand"
        assert key not in table, f"{key} twice in EN"
        table[key] = text
    return table


def server_strings(http: httpx.Client, lang: str) -> dict[str, Any]:
    """The table the thread fragment hands the embed in ``lang``, as the embed asks for it."""
    r = http.get("/embed/demo/thread", params={"thread": "t1", "lang": lang})
    assert r.status_code == 200, r.text
    found = re.search(r"data-rostra-i18n='([^']*)'", r.text)
    assert found is not None, "the fragment carries no data-rostra-i18n"
    strings: dict[str, Any] = json.loads(unescape(found.group(1)))
    return strings


def french() -> Catalog:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "rostra.po").open(encoding="utf-8") as fh:
        return read_po(fh, locale="fr")


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def test_every_string_the_embed_uses_has_a_fallback() -> None:
    """``T.key`` with no EN entry would show "undefined" until (or unless) the fragment came."""
    used = set(re.findall(r"\bT\.(\w+)", embed_source()))
    assert used, "embed.js uses no T.key: this test no longer reads it right"
    missing = sorted(used - fallbacks().keys())
    assert not missing, f"used in embed.js without an EN fallback: {missing}"


def test_the_server_sends_every_key_the_embed_falls_back_on(http: httpx.Client) -> None:
    sent = server_strings(http, "fr")
    missing = sorted(fallbacks().keys() - sent.keys())
    assert not missing, f"the fragment never sends these, so readers see the English: {missing}"
    # And the English fragment sends the same keys (the table is one template, in every language).
    assert server_strings(http, "en").keys() == sent.keys()


def test_each_fallback_is_its_msgid_word_for_word(http: httpx.Client) -> None:
    """The fallback and the msgid the server translates are the same English, so the two cannot
    drift (a fallback reworded alone would never be translated)."""
    english = server_strings(http, "en")
    msgids = {m.id for m in french() if isinstance(m.id, str) and m.id}
    for key, text in fallbacks().items():
        if key == "reasons":
            continue
        sent = english.get(key)
        assert text == sent, f"{key}: embed.js says {text!r}, the English fragment {sent!r}"
        assert text in msgids, f"{key}: {text!r} is not a msgid of the French catalogue"


def test_a_french_reader_gets_french_for_every_key(http: httpx.Client) -> None:
    catalogue = french()
    english = server_strings(http, "en")
    sent = server_strings(http, "fr")
    for key in fallbacks():
        if key == "reasons":
            continue
        assert key in english and key in sent, f"{key}: not in the fragment"
        message = catalogue.get(english[key])
        assert message is not None and message.string, f"{key}: no French for {english[key]!r}"
        assert not message.fuzzy, f"{key}: the French for {english[key]!r} is fuzzy"
        assert sent[key] == message.string, f"{key}: the fragment sends {sent[key]!r}"
        assert sent[key] != english[key], f"{key}: the French reader gets {sent[key]!r}"
    # The reasons the report form offers: the same codes, every label in French.
    assert [code for code, _ in sent["reasons"]] == [code for code, _ in english["reasons"]]
    assert sent["reasons"], "the fragment offers no report reasons"
    for (code, label), (_, source) in zip(sent["reasons"], english["reasons"], strict=True):
        message = catalogue.get(source)
        assert message is not None and message.string and not message.fuzzy, code
        assert label == message.string != source, f"{code}: the French reader gets {label!r}"


def served_early_table(http: httpx.Client) -> dict[str, dict[str, str]]:
    """The ``EARLY`` table of the embed script as the server sends it."""
    r = http.get("/static/embed.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    found = re.search(r"^  const EARLY = (\{.*\});$", r.text, re.MULTILINE)
    assert found is not None, "the served embed.js has no filled-in EARLY table"
    table: dict[str, dict[str, str]] = json.loads(found.group(1))
    return table


def test_a_thread_that_cannot_be_fetched_is_explained_in_french(http: httpx.Client) -> None:
    """When the first request fails no fragment brings French: the script itself must carry
    the messages shown then, in every language the server offers."""
    early = served_early_table(http)
    english = fallbacks()
    catalogue = french()
    assert early.keys() == {"en", "fr", "*"}  # the test settings offer en and fr, default en
    for key, msgid in EARLY_MESSAGES.items():
        assert english[key] == msgid, f"{key}: embed.js says {english[key]!r}"
        message = catalogue.get(msgid)
        assert message is not None and message.string and not message.fuzzy, key
        assert early["fr"][key] == message.string != msgid
        assert early["en"][key] == early["*"][key] == msgid


def test_the_served_script_revalidates_and_compresses(http: httpx.Client) -> None:
    r = http.get("/static/embed.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["cache-control"] == "public, max-age=3600"
    again = http.get("/static/embed.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    plain = http.get("/static/embed.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == r.text
