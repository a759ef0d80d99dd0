"""The web templates hold no user-facing English outside ``_()``/``ngettext()``.

Every word a reader or a moderator sees in src/rostra/web/templates must go through the
catalogue: a literal word in the markup is shown as it is in every language. The check reads each
template as Jinja parses it, keeps only its literal markup (every ``{{ … }}`` and ``{% … %}``
becomes a gap), and parses that as HTML: any text node, or any attribute shown to people, with a
word in it is untranslated text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from jinja2 import nodes

from rostra.web.render import make_environment

# What stands for a Jinja expression or tag in the literal markup. Spaces around it keep a tag
# whole when a `{% if %}` adds an attribute right after the tag's name (`<div{% if … %}`).
GAP = " \x00 "
WORD = re.compile(r"[^\W\d_]{2,}")
# Attributes people read (or hear, through a screen reader); other attributes are for machines.
SHOWN = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription"}
# An input's value is its label only on buttons made of an <input>.
INPUT_BUTTONS = {"submit", "button", "reset"}
# Words that are the same in every language: the product's name, and the key a <kbd> names.
# ("Esc" is printed "Échap" on French keyboards; see the report of issue 9, item 6.)
SAME_EVERYWHERE = {"Rostra", "Esc"}
CODE_TAGS = ("script", "style", "code")


class Untranslated(HTMLParser):
    """Collects text nodes and shown attributes with words in them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        # Inside <script> or <style>: not text people see; inside <code>: a snippet to copy as it
        # is (the desk's embed tags), not words to translate.
        self.code = 0

    def _words(self, text: str) -> bool:
        return bool(set(WORD.findall(text.replace("\x00", " "))) - SAME_EVERYWHERE)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CODE_TAGS:
            self.code += 1
        named = dict(attrs)
        for name, value in attrs:
            shown = name in SHOWN or (
                name == "value" and tag == "input" and named.get("type") in INPUT_BUTTONS
            )
            if shown and value and self._words(value):
                self.found.append(f"<{tag} {name}={value.strip()!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in CODE_TAGS:
            self.code -= 1

    def handle_data(self, data: str) -> None:
        if not self.code and self._words(data):
            self.found.append(repr(" ".join(data.replace("\x00", " ").split())))


ENV = make_environment()
TEMPLATES = sorted(ENV.list_templates(filter_func=lambda name: name.endswith(".html")))


def untranslated(source: str) -> list[str]:
    """What a template's source shows untranslated: its literal text in document order, each
    Jinja node between two pieces a gap, read as HTML."""
    tree = ENV.parse(source)
    parser = Untranslated()
    parser.feed(GAP.join(node.data for node in tree.find_all(nodes.TemplateData)))
    parser.close()
    return parser.found


def test_the_check_finds_english_where_there_is_some() -> None:
    assert "thread.html" in TEMPLATES and "desk/layout.html" in TEMPLATES
    source = (
        '<p title="{{ _(\'Fine\') }}">{{ _("Fine too") }}</p>{% if x %}<b>Read more</b>{% endif %}'
        '<button aria-label="Close it">x</button><input type="submit" value="Send it">'
        '<button value="approve">{{ _("Approve") }}</button><kbd>Esc</kbd> · Rostra'
    )
    assert untranslated(source) == [
        "'Read more'",
        "<button aria-label='Close it'>",
        "<input value='Send it'>",
    ]


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_english_outside_gettext(name: str) -> None:
    source = ENV.loader.get_source(ENV, name)[0]  # type: ignore[union-attr]
    found = untranslated(source)
    assert not found, f"{name}: text outside _() (wrap it in _() and translate it): {found}"
