"""The embed script stays small: every news page that shows comments downloads it."""

from __future__ import annotations

import gzip
import re
from importlib.resources import files

LIMIT = 10 * 1024  # bytes, gzipped


def test_embed_script_is_at_most_10_kb_gzipped() -> None:
    source = files("rostra.web").joinpath("static/embed.js").read_bytes()
    assert len(source) > 1000  # the real script, not an empty placeholder
    size = len(gzip.compress(source, compresslevel=9))
    assert size <= LIMIT, f"embed.js is {size} bytes gzipped; the limit is {LIMIT}"


def test_embed_script_parses_html_in_one_place_only() -> None:
    """All markup comes from the server and goes through one inert parser (a <template>);
    nothing else may turn strings into HTML, so user text can never become markup."""
    source = files("rostra.web").joinpath("static/embed.js").read_text("utf-8")
    assert source.count("innerHTML") == 1
    for sink in ("outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source
    # A classic script, as served: no module syntax that would need a bundler.
    assert not re.search(r"^\s*(import|export)\s", source, re.MULTILINE)
