"""The embed script stays small: every news page that shows comments downloads it.

The budget is a ceiling; the README states the size itself, and that figure is checked against
what the server really sends, so a stale figure or a script that quietly doubles shows. Both
tests print the size they measured (seen with ``pytest -rA``) and record it as a property.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from tests.conftest import LiveServer

LIMIT = 10 * 1024  # bytes, gzipped
KB = 1024  # as in LIMIT: the README's "KB" and the budget's are the same unit
README = Path(__file__).resolve().parents[2] / "README.md"
# How far the README's figure may be from the real size: its one decimal is a rounding of ±0.6%
# at this size, and a little room lets a small change to the script through without an edit.
TOLERANCE = 0.05


def test_embed_script_is_at_most_10_kb_gzipped(
    record_property: Callable[[str, object], None],
) -> None:
    source = files("rostra.web").joinpath("static/embed.js").read_bytes()
    assert len(source) > 1000  # the real script, not an empty placeholder
    size = len(gzip.compress(source, compresslevel=9))
    record_property("embed_js_gzipped_bytes", size)
    print(f"embed.js: {len(source)} bytes, {size} bytes ({size / KB:.2f} KB) gzipped at level 9")
    assert size <= LIMIT, f"embed.js is {size} bytes gzipped; the limit is {LIMIT}"


def test_the_readme_states_the_size_the_server_sends(
    server: LiveServer, record_property: Callable[[str, object], None]
) -> None:
    """The README's "It is N KB gzipped" is within 5% of the gzipped bytes the server sends
    for /static/embed.js (over HTTP, compressed as the server compresses it)."""
    stated = re.findall(r"(\d+(?:\.\d+)?) KB gzipped", README.read_text("utf-8"))
    assert len(stated) == 1, f"the README should state the embed's size once: {stated}"
    with (
        server.client() as http,
        http.stream("GET", "/static/embed.js", headers={"Accept-Encoding": "gzip"}) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-encoding"] == "gzip"
        sent = b"".join(r.iter_raw())
    # What came is the script itself, compressed, its messages for a thread it could not fetch
    # filled in (rostra.web.embed_script).
    source = files("rostra.web").joinpath("static/embed.js").read_text("utf-8")
    script = gzip.decompress(sent).decode("utf-8")
    before, marker, after = source.partition("const EARLY = {};")
    assert marker and script.startswith(before) and script.endswith(after)
    assert len(script) > len(source)
    size = len(sent)
    record_property("embed_js_served_gzipped_bytes", size)
    print(f"embed.js served: {size} bytes ({size / KB:.2f} KB) gzipped; README: {stated[0]} KB")
    claimed = float(stated[0]) * KB
    assert abs(claimed - size) <= TOLERANCE * size, (
        f"README.md says {stated[0]} KB gzipped; the server sends {size} bytes "
        f"({size / KB:.1f} KB): update the README"
    )


def test_embed_script_parses_html_in_one_place_only() -> None:
    """All markup comes from the server and goes through one inert parser (a <template>);
    nothing else may turn strings into HTML, so user text can never become markup."""
    source = files("rostra.web").joinpath("static/embed.js").read_text("utf-8")
    assert source.count("innerHTML") == 1
    for sink in ("outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source
    # A classic script, as served: no module syntax that would need a bundler.
    assert not re.search(r"^\s*(import|export)\s", source, re.MULTILINE)
