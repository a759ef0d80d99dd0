"""The one renderer: the author's Markdown in, sanitised HTML out.

Comments are stored as written and rendered here, through a CommonMark subset (emphasis, links,
quotes, lists, code) and then an allow-list sanitiser, so nothing a reader types can reach the page
as markup we did not choose. Raw HTML in the source is shown as text, never interpreted.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "a", "blockquote", "ul", "ol", "li", "code", "pre", "del", "s"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["linkify", "strikethrough"])
    # Headings, rules and images don't belong in a comment; their syntax stays as plain text.
    md.disable(["heading", "lheading", "hr", "image", "html_block", "html_inline"])
    # Make links safe in the parser too (defence in depth before the sanitiser runs).
    md.validateLink = _is_allowed_link  # type: ignore[method-assign]
    return md


def _is_allowed_link(url: str) -> bool:
    scheme, sep, _ = url.partition(":")
    if not sep or "/" in scheme:
        return True  # relative link or no scheme
    return scheme.strip().lower() in ALLOWED_SCHEMES


def render_markdown(source: str) -> str:
    """Render ``source`` to HTML that is safe to place in any page."""
    html = _markdown().render(source)
    return sanitize_html(html)


def sanitize_html(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes; links get ``rel`` set."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()
