"""The Markdown renderer: what the allowed subset produces, what stays text, and that no input
(the XSS corpus in tests/data/xss_payloads.txt, or random text) yields markup outside the
allow-list.

The corpus loader lives here so the browser tests read the payloads exactly as these tests do.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rostra.services.formatting import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_SCHEMES,
    ALLOWED_TAGS,
    LINK_REL,
    render_markdown,
    sanitize_html,
)

PAYLOADS_FILE = Path(__file__).resolve().parent.parent / "data" / "xss_payloads.txt"
_ESCAPE = re.compile(r"\\(n|t|r|\\|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
# What a payload does if it ever runs: call a recorded function, or reach the watched host.
OBSERVABLE = ("__xss", "alert(", "confirm(", "prompt(", "print(", "evil.example")
MAX_NAME = 200  # the API's limit on an author name; every payload must fit as one


def _unescape(line: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _SIMPLE:
            return _SIMPLE[code]
        return chr(int(code[1:], 16))

    return _ESCAPE.sub(one, line)


def load_payloads() -> list[str]:
    """The corpus, escapes decoded, comments and blank lines skipped, in file order."""
    payloads = []
    for line in PAYLOADS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        payloads.append(_unescape(line))
    return payloads


PAYLOADS = load_payloads()


class _Collector(HTMLParser):
    """Every start tag with its attributes, as a browser-grade tokeniser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.declarations: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def handle_comment(self, data: str) -> None:
        self.declarations.append("<!--" + data)

    def handle_pi(self, data: str) -> None:
        self.declarations.append("<?" + data)


def _browser_scheme(href: str) -> str:
    """The scheme a browser would act on: it drops leading C0 controls and spaces and removes
    tabs and newlines anywhere before parsing, so ``java\\tscript:`` counts as ``javascript:``."""
    cleaned = href.lstrip("".join(chr(c) for c in range(0x21)))
    cleaned = re.sub(r"[\t\n\r]", "", cleaned)
    return urlsplit(cleaned).scheme.lower()


def assert_safe(html: str) -> None:
    """Fail unless ``html`` holds only allow-listed tags and attributes and harmless links."""
    assert "<script" not in html.lower()
    parser = _Collector()
    parser.feed(html)
    parser.close()
    assert parser.declarations == []
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, f"disallowed tag <{tag}> in {html!r}"
        allowed = set(ALLOWED_ATTRIBUTES.get(tag, set())) | ({"rel"} if tag == "a" else set())
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), f"repeated attribute in {html!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} in {html!r}"
            assert name in allowed, f"disallowed attribute {name} on <{tag}> in {html!r}"
            if name == "href":
                assert value is not None
                scheme = _browser_scheme(value)
                assert scheme in ALLOWED_SCHEMES | {""}, f"href {value!r} in {html!r}"
                squashed = re.sub(r"[\x00-\x20]", "", value).lower()
                for bad in ("javascript:", "vbscript:", "data:"):
                    assert not squashed.startswith(bad), f"href {value!r} in {html!r}"
        if tag == "a":
            assert dict(attrs).get("rel") == LINK_REL, f"<a> without rel={LINK_REL!r}"
        if tag == "ol" and "start" in dict(attrs):
            assert (dict(attrs)["start"] or "").isdigit()


# -- the corpus itself ----------------------------------------------------------------------


# How many payloads tests/data/xss_payloads.txt holds. Pinned, not a floor: a payload dropped
# from the file (deleted, or turned into a comment by a stray "#") must fail here rather than
# quietly leave a hole in the corpus; whoever adds payloads raises this number with them.
CORPUS_SIZE = 138


def test_corpus_is_large_distinct_and_observable() -> None:
    assert len(PAYLOADS) == CORPUS_SIZE, "payloads were added or dropped: see CORPUS_SIZE"
    assert len(set(PAYLOADS)) == len(PAYLOADS), "duplicate payloads in the corpus"
    for payload in PAYLOADS:
        # Some payloads hide the marker behind entities or JavaScript escapes; decode both.
        decoded = re.sub(
            r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html.unescape(payload)
        )
        assert any(marker in decoded for marker in OBSERVABLE), payload
        assert len(payload) <= MAX_NAME, payload


def test_corpus_escapes_decode() -> None:
    assert _unescape(r"a\nb\tc\\d\x23\u202e") == "a\nb\tc\\d#\u202e"
    assert "<script\n>__xss(9)</script\n>" in PAYLOADS
    assert "\\<script>__xss(12)</script>" in PAYLOADS


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_corpus_payload_renders_safely(payload: str) -> None:
    assert_safe(render_markdown(payload))


def test_checker_rejects_unsafe_markup() -> None:
    # The checker must be able to fail, or the corpus test above proves nothing.
    unsafe = [
        '<img src="x" onerror="__xss(1)">',
        "<script>__xss(1)</script>",
        f'<a href="javascript:__xss(1)" rel="{LINK_REL}">x</a>',
        f'<a href="java\tscript:__xss(1)" rel="{LINK_REL}">x</a>',
        f'<a href=" data:text/html,x" rel="{LINK_REL}">x</a>',
        '<a href="https://example.org">no rel</a>',
        '<p style="color:red">x</p>',
        "<svg></svg>",
        "<!-- hidden -->",
    ]
    for markup in unsafe:
        with pytest.raises(AssertionError):
            assert_safe(markup)


# -- the allowed subset ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("*soft* _also_", "<p><em>soft</em> <em>also</em></p>"),
        ("**loud** __also__", "<p><strong>loud</strong> <strong>also</strong></p>"),
        ("~~gone~~", "<p><s>gone</s></p>"),
        ("use `x < y`", "<p>use <code>x &lt; y</code></p>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("3. three", '<ol start="3">\n<li>three</li>\n</ol>'),
        ("    indented <b>", "<pre><code>indented &lt;b&gt;\n</code></pre>"),
        ("```python\nx = 1\n```", "<pre><code>x = 1\n</code></pre>"),
        ("line  \nbreak", "<p>line<br>\nbreak</p>"),
        (
            "[site](https://example.org/a?b=1&c=2)",
            f'<p><a href="https://example.org/a?b=1&amp;c=2" rel="{LINK_REL}">site</a></p>',
        ),
        (
            '[site](https://example.org "Its title")',
            f'<p><a href="https://example.org" title="Its title" rel="{LINK_REL}">site</a></p>',
        ),
        (
            "<https://example.org/x>",
            f'<p><a href="https://example.org/x" rel="{LINK_REL}">https://example.org/x</a></p>',
        ),
        (
            "see https://example.org/page now",
            f'<p>see <a href="https://example.org/page" rel="{LINK_REL}">'
            "https://example.org/page</a> now</p>",
        ),
        (
            "[write](mailto:desk@example.org)",
            f'<p><a href="mailto:desk@example.org" rel="{LINK_REL}">write</a></p>',
        ),
        (
            "[ref][r]\n\n[r]: https://example.org/ref",
            f'<p><a href="https://example.org/ref" rel="{LINK_REL}">ref</a></p>',
        ),
    ],
)
def test_allowed_subset_renders(source: str, expected: str) -> None:
    html = render_markdown(source)
    assert html == expected
    assert_safe(html)


@pytest.mark.parametrize("source", ["www.example.org", "desk@example.org", "example.org/page"])
def test_addresses_without_a_scheme_are_text_or_safe_links(source: str) -> None:
    # Linkifying these is optional (the parser may leave them as text); if it does, the link
    # must still be a safe one.
    html = render_markdown(source)
    assert source in html
    assert_safe(html)


def test_every_link_gets_rel() -> None:
    html = render_markdown("[a](https://a.example) <https://b.example> https://c.example")
    assert html.count("<a ") == 3
    assert html.count(f'rel="{LINK_REL}"') == 3


def test_sanitiser_alone_replaces_rel_and_strips_the_rest() -> None:
    # The second layer on its own, as if the parser ever let markup through.
    html = sanitize_html(
        '<a rel="opener" target="_blank" href="https://b.example" onclick="x()">b</a>'
        '<img src=x onerror=y()><h1 style="x">t</h1>'
    )
    assert html == f'<a href="https://b.example" rel="{LINK_REL}">b</a>t'


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_corpus_payload_through_the_sanitiser_alone(payload: str) -> None:
    # Defence in depth: the payload as raw HTML, skipping the Markdown parser, is still clean.
    assert_safe(sanitize_html(payload))


# -- syntax we leave out stays text ------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("# Heading", "<p># Heading</p>"),
        ("Heading\n=======", "<p>Heading\n=======</p>"),
        ("---", "<p>---</p>"),
        ("***", "<p>***</p>"),
        ("<b>bold</b>", "<p>&lt;b&gt;bold&lt;/b&gt;</p>"),
        ("<div>\nblock\n</div>", "<p>&lt;div&gt;\nblock\n&lt;/div&gt;</p>"),
        ("<!-- note -->", "<p>&lt;!-- note --&gt;</p>"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<p>| a | b |\n|---|---|\n| 1 | 2 |</p>"),
    ],
)
def test_left_out_syntax_stays_text(source: str, expected: str) -> None:
    assert render_markdown(source) == expected


def test_image_syntax_never_makes_an_image() -> None:
    html = render_markdown("![a cat](https://example.org/cat.png)")
    assert "<img" not in html
    assert "a cat" in html
    assert_safe(html)


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html,hi)",
        "[x](file:///etc/passwd)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_links_with_other_schemes_stay_text(source: str) -> None:
    html = render_markdown(source)
    assert "<a" not in html
    assert "x" in html or "javascript" in html


def test_template_syntax_stays_literal_text() -> None:
    source = "{{ 7+7 }} ${7+7} {% if 1 %}x{% endif %}"
    assert render_markdown(source) == "<p>{{ 7+7 }} ${7+7} {% if 1 %}x{% endif %}</p>"


# -- random input ----------------------------------------------------------------------------

# Fragments that tend to build markup when combined: tag openers, attribute and URL syntax,
# entities and the Markdown punctuation that wraps links and code.
_SPACED_TOKENS = """
< > </ /> <script> <a <svg <style> <!-- --> <![CDATA[ onerror= onload= href= = ` ```
[ ] ( ) ![ ]: * _ ~~ \\ & &# &#x ; &lt; &quot; &colon; // %0a %6A a x@example.org
javascript: JaVaScRiPt: vbscript: data: mailto: https://example.org www.example.org
"""
_TOKENS = _SPACED_TOKENS.split() + [
    "<img src=x onerror=__xss(1)>",
    " ",
    "\n",
    "\t",
    '"',
    "'",
    "> ",
    "- ",
    "1. ",
    "java\tscript:",
    "\u200b",
    "\u202e",
    "\x00",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_yields_only_allowed_markup(source: str) -> None:
    assert_safe(render_markdown(source))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS) | st.text(max_size=4), max_size=40).map("".join))
def test_random_markup_soup_yields_only_allowed_markup(source: str) -> None:
    assert_safe(render_markdown(source))
