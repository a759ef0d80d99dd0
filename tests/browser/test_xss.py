"""The XSS corpus against the live server in real Chromium: nothing a reader posts may run.

Every payload in tests/data/xss_payloads.txt is posted through the JSON API as a comment body, as
an author name (which also shows up as "@name" on flattened replies) and as a thread title. Then
Chromium loads what readers see: the standalone page, and a newsroom page on a second origin that
puts the server's HTML in with ``innerHTML``, as the embed does (the thread fragment, each
comment's ``html`` from the JSON list, and the ``html`` each POST returned).

Two kinds of checks, so a payload has to beat both: behaviour (no marker call, no dialog, no
navigation, no frame, no popup, no request to a host that is not ours) and structure (no event
handler attribute, no element outside the allow-list in a comment body, every link in a comment
carries ``rel="nofollow ugc noopener"`` and an http, https or mailto address). A canary test runs
the same harness over the raw, unsanitised payloads to show it does catch them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Frame, Page, Request

from rostra.domain.rules import clean_text
from rostra.services.formatting import ALLOWED_TAGS
from tests.browser.conftest import HostSite
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.unit.test_formatting import PAYLOADS

pytestmark = pytest.mark.browser

SITE = "xss"
CORPUS_THREAD = "xss-corpus"
SAFE_PROTOCOLS = ["http:", "https:", "mailto:"]
TITLE_PAGES = 4  # pages loading thread titles side by side

# Runs in every frame before any of the page's own script: the marker and the dialog functions
# record a call instead of acting, both in the page and through a binding back to the test, so a
# call from a frame the page later removes is still seen.
INSTRUMENT = """
(() => {
  const hits = [];
  Object.defineProperty(window, '__xssHits', { value: hits });
  const record = (name) => function (...args) {
    const entry = name + '(' + args.map(String).join(', ') + ') in ' + location.href;
    hits.push(entry);
    if (typeof window.__rostraReport === 'function') window.__rostraReport(entry);
  };
  window.__xss = record('__xss');
  for (const name of ['alert', 'confirm', 'prompt', 'print']) window[name] = record(name);
})();
"""

# Our own trusted elements, added after the server's HTML: once an image error, a details toggle
# and two animation frames have all happened, the events a payload would ride on have fired too.
SETTLE = """
() => new Promise((resolve) => {
  let pending = 3;
  const done = () => { if (--pending === 0) resolve(true); };
  const img = document.createElement('img');
  img.onerror = done;
  img.src = '/__rostra_test_missing.png?' + Math.random();
  document.body.appendChild(img);
  const details = document.createElement('details');
  details.ontoggle = done;
  document.body.appendChild(details);
  details.open = true;
  requestAnimationFrame(() => requestAnimationFrame(done));
})
"""

# Everything in the document that could run script or leave the page, as a list of findings.
INSPECT = """
([allowedTags, safeProtocols, rostraOrigin]) => {
  const problems = [];
  const where = (el) => el.outerHTML.slice(0, 160);
  const XHTML = 'http://www.w3.org/1999/xhtml';
  if (document.baseURI !== location.href) problems.push('base URI changed to ' + document.baseURI);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) problems.push('event handler ' + attr.name + ': ' + where(el));
      if (attr.name === 'srcdoc') problems.push('srcdoc: ' + where(el));
    }
    const tag = el.localName;
    if (['iframe', 'frame', 'object', 'embed', 'base'].includes(tag)) {
      problems.push('element <' + tag + '>: ' + where(el));
    }
    // The page around the comments may one day carry its own styles or icons; inside them,
    // nothing of the kind belongs.
    const inComments = el.closest('.rostra-comment, #comments') !== null;
    // The one exception: the thread fragment's own stylesheet link, beside its section (never
    // inside a comment), to Rostra's stylesheet exactly (issue 7, item 14).
    const ownSheet = tag === 'link' && !el.closest('.rostra-comment') && el.rel === 'stylesheet'
      && el.href === rostraOrigin + '/static/rostra.css' && el.attributes.length === 2;
    if (inComments && !ownSheet
        && ['style', 'link', 'svg', 'math', 'img', 'video', 'audio'].includes(tag)) {
      problems.push('element <' + tag + '> in comments: ' + where(el));
    }
    if (tag === 'meta' && el.hasAttribute('http-equiv')) problems.push('meta: ' + where(el));
    if (tag === 'script') {
      const src = el.getAttribute('src');
      if (!src || new URL(src, location.href).origin !== rostraOrigin || el.textContent.trim()) {
        problems.push('script: ' + where(el));
      }
    }
    if (tag === 'form' || tag === 'button' || tag === 'input') {
      const action = el.getAttribute(tag === 'form' ? 'action' : 'formaction');
      if (action !== null && new URL(action, location.href).origin !== rostraOrigin) {
        problems.push('form target: ' + where(el));
      }
    }
    if (inComments && el.namespaceURI !== XHTML) problems.push('foreign namespace: ' + where(el));
  }
  for (const a of document.querySelectorAll('a[href]')) {
    if (!safeProtocols.includes(a.protocol)) problems.push('link ' + a.protocol + ': ' + where(a));
  }
  for (const body of document.querySelectorAll('.rostra-body')) {
    for (const el of body.querySelectorAll('*')) {
      const replyTo = el.localName === 'span' && el.className === 'rostra-replyto';
      if (!allowedTags.includes(el.localName) && !replyTo) {
        problems.push('tag <' + el.localName + '> in a comment: ' + where(el));
      }
      if (replyTo && el.children.length) problems.push('markup in @name: ' + where(el));
    }
    for (const a of body.querySelectorAll('a')) {
      const rel = (a.getAttribute('rel') || '').split(/\\s+/);
      for (const word of ['nofollow', 'ugc', 'noopener']) {
        if (!rel.includes(word)) problems.push('link without rel ' + word + ': ' + where(a));
      }
      if (!a.hasAttribute('href') || !safeProtocols.includes(a.protocol)) {
        problems.push('comment link ' + a.protocol + ': ' + where(a));
      }
    }
  }
  for (const el of document.querySelectorAll('.rostra-author, h1, title')) {
    if (el.children.length) problems.push('markup in ' + el.localName + ': ' + where(el));
  }
  return problems;
}
"""


@dataclass
class Watch:
    """What the pages of one browser context did that a payload could have caused, recorded as
    it happens. ``page`` is the first page; ``new_page`` opens more, watched the same way."""

    context: BrowserContext
    allowed_netlocs: set[str]
    pages: list[Page] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    expected_urls: set[str] = field(default_factory=set)

    def attach(self) -> None:
        self.context.expose_function("__rostraReport", self._report)
        self.context.add_init_script(INSTRUMENT)
        self.context.on("request", self._request)
        self.new_page()

    @property
    def page(self) -> Page:
        return self.pages[0]

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.on("dialog", self._dialog)
        page.on("frameattached", lambda frame: self.frames.append(frame.url or "(new frame)"))
        page.on("framenavigated", self._navigated)
        page.on("popup", lambda popup: self.popups.append(popup.url))
        self.pages.append(page)
        return page

    def _report(self, entry: str) -> None:
        self.reports.append(entry)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or parts.netloc not in self.allowed_netlocs:
            self.foreign_requests.append(request.url)

    def _navigated(self, frame: Frame) -> None:
        if frame.parent_frame is None and frame.url not in self.expected_urls:
            self.navigations.append(frame.url)

    def goto(self, url: str) -> None:
        self.expected_urls.add(url)
        response = self.page.goto(url)
        assert response is not None and response.ok, url

    def start_navigation(self, page: Page, url: str) -> None:
        """Send ``page`` to ``url`` without waiting, so several pages can load at once."""
        self.expected_urls.add(url)
        page.evaluate("(url) => { location.href = url; }", url)

    def settle(self, page: Page | None = None) -> None:
        assert (page or self.page).evaluate(SETTLE) is True

    def inspect(self, rostra_origin: str, page: Page | None = None) -> list[str]:
        problems: list[str] = (page or self.page).evaluate(
            INSPECT, [sorted(ALLOWED_TAGS), SAFE_PROTOCOLS, rostra_origin]
        )
        return problems

    def executed(self, page: Page | None = None) -> list[str]:
        """Every sign that something ran or left: on ``page``, and anywhere in the context."""
        in_page: list[str] = (page or self.page).evaluate("() => Array.from(window.__xssHits)")
        found = [f"call: {hit}" for hit in in_page]
        found += [f"reported: {r}" for r in self.reports if r not in in_page]
        found += [f"dialog: {d}" for d in self.dialogs]
        found += [f"request: {u}" for u in self.foreign_requests]
        found += [f"frame: {f}" for f in self.frames]
        found += [f"popup: {p}" for p in self.popups]
        found += [f"navigation: {n}" for n in self.navigations]
        return found


@pytest.fixture
def xss_site(server: LiveServer, host_site: HostSite) -> str:
    """A site whose settings let every payload through as a name, and flatten replies early so
    each author name is also shown as "@name"; the host page's origin may read it cross-origin.
    Moderation is off: what is tested is how a published payload is shown, not whether the
    classifiers would publish it (the spam model holds a bare <script> line)."""
    server.store.create_site(
        SITE,
        "XSS",
        [HOST_ORIGIN, host_site.origin],
        {"max_name_chars": 200, "display_depth": 1, "moderation": {"enabled": False}},
    )
    return SITE


@pytest.fixture
def watched(browser: Browser, server: LiveServer, host_site: HostSite) -> Iterator[Watch]:
    context = browser.new_context()
    netlocs = {urlsplit(server.url).netloc, urlsplit(host_site.url).netloc}
    watch = Watch(context=context, allowed_netlocs=netlocs)
    watch.attach()
    yield watch
    context.close()


def _post(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    # Each payload as a new reader's first comment, with the token the embed would get first
    # (writes without a token share one small bucket).
    token = http.post(f"/api/v1/sites/{SITE}/readers").json()["token"]
    response = http.post(
        f"/api/v1/sites/{SITE}/comments", json=fields, headers={"X-Rostra-Reader": token}
    )
    assert response.status_code == 201, (fields, response.text)
    data: dict[str, Any] = response.json()
    return data


def _shown_name(payload: str) -> str:
    return " ".join(clean_text(payload).split())


def _post_corpus(http: httpx.Client) -> list[str]:
    """One thread: a starter comment, then a chain where each payload is both the body and the
    author of a reply to the previous one; past depth 1 each reply shows its parent's name as
    "@name", so every payload also appears there. Returns the HTML each POST answered with."""
    fragments = []
    parent = _post(http, thread=CORPUS_THREAD, body="Start of the corpus.", author="Starter")
    for payload in [*PAYLOADS, "The end of the corpus."]:
        author = payload if payload in PAYLOADS else "Closer"
        posted = _post(
            http,
            thread=CORPUS_THREAD,
            body=payload,
            author=author,
            parent=parent["comment"]["id"],
        )
        fragments.append(posted["html"])
        parent = posted
    return fragments


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host</title></head>
<body><h1>A newsroom article</h1><div id="comments"></div></body></html>"""

# On the host page, the way the embed works: fetch the server's HTML cross-origin and insert it
# with innerHTML. Each comment's html from the JSON list goes in inside a .rostra-body, as the
# templates put it.
INSERT = """
async ([api, fragmentUrl, posted]) => {
  const out = document.getElementById('comments');
  const add = (html, bodyClass) => {
    // Parsed as embed.js parses server HTML: innerHTML on a template, then its content moved in.
    const parser = document.createElement('template');
    parser.innerHTML = html;
    const div = document.createElement('div');
    if (bodyClass) div.className = 'rostra-body';
    div.appendChild(parser.content);
    out.appendChild(div);
  };
  const list = await (await fetch(api)).json();
  let count = 0;
  const walk = (comments) => {
    for (const c of comments) { add(c.html, true); count += 1; walk(c.replies); }
  };
  walk(list.comments);
  add(await (await fetch(fragmentUrl)).text(), false);
  for (const html of posted) add(html, false);
  return count;
}
"""


def test_corpus_in_comments_and_names_never_runs(
    server: LiveServer, xss_site: str, http: httpx.Client, host_site: HostSite, watched: Watch
) -> None:
    fragments = _post_corpus(http)
    query = urlencode({"thread": CORPUS_THREAD, "all": "1"})

    # The standalone page, as the server sends it.
    watched.goto(f"{server.url}/t/{SITE}?{query}")
    watched.settle()
    page = watched.page
    assert watched.inspect(server.url) == []
    assert watched.executed() == []
    # Every payload really is on the page, shown as text where it is a name.
    assert page.locator(".rostra-comment").count() == len(PAYLOADS) + 2
    names = page.locator(".rostra-author").all_inner_texts()
    for payload in PAYLOADS:
        assert _shown_name(payload) in names, payload
    replied_to = page.locator(".rostra-replyto").all_text_contents()
    for payload in PAYLOADS:
        assert f"@{_shown_name(payload)}" in replied_to, payload

    # The newsroom's page, putting the server's HTML in with innerHTML.
    host_site.html = HOST_PAGE
    watched.goto(host_site.url + "/article")
    inserted = page.evaluate(
        INSERT,
        [
            f"{server.url}/api/v1/sites/{SITE}/comments?{query}",
            f"{server.url}/embed/{SITE}/thread?{query}",
            fragments,
        ],
    )
    watched.settle()
    assert watched.inspect(server.url) == []
    assert watched.executed() == []
    assert inserted == len(PAYLOADS) + 2
    # Bodies: one per comment from the JSON, from the fragment, and from each POST's answer.
    assert page.locator("#comments .rostra-body").count() == 3 * (len(PAYLOADS) + 2) - 1


@pytest.mark.slow
def test_corpus_in_thread_titles_never_runs(
    server: LiveServer, xss_site: str, http: httpx.Client, watched: Watch
) -> None:
    for number, payload in enumerate(PAYLOADS):
        # A title is taken from the first comment of an article on one of the site's origins.
        _post(
            http,
            thread=f"title-{number}",
            body="A comment.",
            title=payload,
            url=f"{HOST_ORIGIN}/title-{number}",
        )
    # One thread per title, so one page load each: several pages load side by side to keep it
    # quick, each checked on its own once loaded.
    pages = [watched.page] + [watched.new_page() for _ in range(TITLE_PAGES - 1)]
    numbered = list(enumerate(PAYLOADS))
    for first in range(0, len(numbered), len(pages)):
        batch = list(zip(pages, numbered[first : first + len(pages)], strict=False))
        for page, (number, _) in batch:
            watched.start_navigation(page, f"{server.url}/t/{SITE}?thread=title-{number}")
        for page, (number, payload) in batch:
            page.wait_for_url(f"{server.url}/t/{SITE}?thread=title-{number}", wait_until="load")
            watched.settle(page)
            # Stored as cleaned text and shown as text: what the reader sees is exactly that.
            expected = clean_text(payload).strip()
            shown = page.evaluate(
                "() => [document.querySelector('title').textContent,"
                " document.querySelector('h1').textContent]"
            )
            assert shown == [expected, expected], payload
            assert watched.inspect(server.url, page) == [], payload
            assert watched.executed(page) == [], payload


ARTICLE_URLS = [
    "javascript:__xss(1)",
    " JaVaScRiPt:__xss(2)",
    "java\tscript:__xss(3)",
    "vbscript:__xss(4)",
    "data:text/html,<script>__xss(5)</script>",
    '"><img src=x onerror=__xss(6)>',
    "//evil.example/__xss",
]


@pytest.mark.parametrize("url", ARTICLE_URLS)
def test_article_link_from_thread_url_never_runs(
    server: LiveServer, xss_site: str, http: httpx.Client, watched: Watch, url: str
) -> None:
    # The thread's URL becomes the standalone page's "Read the article" link. Readers cannot set
    # it any more (only an address on the site's origins, only with the first comment), and
    # staff updates refuse what is not http(s); a value stored before those checks, or by hand,
    # must still never turn into a live link. So it goes straight into the database here.
    _post(http, thread="article", body="A comment.")
    site = server.store.get_site(SITE)
    assert site is not None
    thread = server.store.get_thread(site.id, "article")
    assert thread is not None
    with server.store.write() as tx:
        tx.update_thread(thread.id, url, "An article")
    watched.goto(f"{server.url}/t/{SITE}?thread=article")
    watched.settle()
    problems = watched.inspect(server.url)
    # Follow every link that is not plain http(s) or mailto, as a reader might, so a failure
    # shows whether the link really runs script and not only that it looks wrong.
    page = watched.page
    for link in page.locator("a[href]").all():
        if link.evaluate("(a) => a.protocol") not in SAFE_PROTOCOLS:
            link.click(no_wait_after=True)
            watched.settle()
    assert {"problems": problems, "executed": watched.executed()} == {
        "problems": [],
        "executed": [],
    }


def test_harness_catches_raw_payloads(
    server: LiveServer, host_site: HostSite, watched: Watch
) -> None:
    # The canary: the same page, checks and settle step over the corpus inserted raw, with no
    # renderer between. If the harness could not see payloads run, this would fail.
    host_site.html = HOST_PAGE
    watched.goto(host_site.url + "/article")
    page = watched.page
    page.evaluate(
        """(payloads) => {
          const out = document.getElementById('comments');
          for (const p of payloads) {
            const parser = document.createElement('template');
            parser.innerHTML = p;
            const div = document.createElement('div');
            div.className = 'rostra-body';
            div.appendChild(parser.content);
            out.appendChild(div);
          }
        }""",
        PAYLOADS,
    )
    page.wait_for_function("() => window.__xssHits.length >= 10")
    watched.settle()
    problems = watched.inspect(server.url)
    executed = watched.executed()
    print(f"canary: {len(problems)} findings, {len(executed)} executions")
    assert len(problems) >= len(PAYLOADS) // 2, problems
    assert any(e.startswith("call: __xss") for e in executed), executed
    assert any(e.startswith("call: alert") for e in executed), executed
    assert any("evil.example" in e for e in executed), executed
    assert any(e.startswith("frame:") for e in executed), executed
