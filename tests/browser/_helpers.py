"""Helpers for the embed's browser tests: a host page with the one script tag, seeding comments
over the real HTTP API (with tests/helpers.py), and reading state from inside the embed's shadow
root."""

from __future__ import annotations

import html
from typing import Any

import httpx
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests import helpers
from tests.browser.conftest import HostSite
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import as_reader, posted

API = helpers.API
THREAD = "article-1"


# The embed's tests are about the embed: the toxicity classifier's verdict on a short test
# sentence is not what they test, so it is off unless a test sets ``moderation`` itself (the
# moderation tests, tests/browser/test_nudge.py, do). Every other check still runs.
EMBED_MODERATION = {"toxicity": {"enabled": False}}


def allow_host(server: LiveServer, host_site: HostSite, **settings: Any) -> None:
    """Let the host page's origin embed and write to site "demo", with optional site settings."""
    settings.setdefault("moderation", EMBED_MODERATION)
    server.store.update_site("demo", [host_site.url, HOST_ORIGIN], settings)


def host_page(
    server: LiveServer,
    thread: str = THREAD,
    *,
    before: str = "",
    container: str | None = None,
    lang: str = "en",
    head: str = "",
) -> str:
    """A newsroom's article page on its own origin, embedding the thread with one tag.

    ``container`` is the inner HTML of a ``#rostra-thread`` element placed before the script
    (for instance a server-rendered fragment); without it the thread goes where the tag is.
    """
    holder = "" if container is None else f'<div id="rostra-thread">{container}</div>'
    return f"""<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>Harbour bridge reopens</title>{head}</head>
<body>
<main>
<h1>Harbour bridge reopens</h1>
<p>The bridge reopened to traffic this morning after two years of repairs.</p>
{before}
{holder}
<script src="{server.url}/static/embed.js" async
  data-rostra-site="demo" data-rostra-thread="{html.escape(thread)}"
  data-rostra-url="https://paper.example/a1" data-rostra-title="Harbour bridge reopens"></script>
</main>
</body>
</html>"""


def open_embed(page: Page, host_site: HostSite, server: LiveServer, **kwargs: Any) -> None:
    """Serve the host page, load it, and wait until the embed says it is ready."""
    host_site.html = host_page(server, **kwargs)
    page.goto(host_site.url + "/article")
    page.wait_for_selector("[data-rostra-ready]", state="attached")


def new_reader(server: LiveServer) -> str:
    """A fresh reader token, from ``POST /readers``."""
    with server.client() as client:
        return helpers.new_reader(client)


def seed(
    server: LiveServer,
    body: str,
    *,
    author: str | None = None,
    token: str | None = None,
    parent: str | None = None,
    thread: str = THREAD,
) -> tuple[str, str]:
    """Post a comment as a (non-browser) API client; returns (comment id, reader token).

    Without ``token`` it is a new reader's first comment, with the token a new reader gets (as
    the embed does): writes without any token share one tight bucket, too small for seeding.
    """
    token = token or new_reader(server)
    fields: dict[str, Any] = {"author": author, "parent": parent}
    with server.client() as client:
        return posted(
            client, body, thread=thread, token=token, **{k: v for k, v in fields.items() if v}
        )


def api_vote(server: LiveServer, comment: str, value: int, token: str | None = None) -> str:
    """Vote as a (new, unless ``token`` is given) reader; returns that reader's token."""
    with server.client() as client:
        token = token or helpers.new_reader(client)
        r = client.put(
            f"{API}/comments/{comment}/vote", json={"value": value}, headers=as_reader(token)
        )
    assert r.status_code == 200, r.text
    return token


def api_page(server: LiveServer, thread: str = THREAD, **params: str) -> dict[str, Any]:
    with server.client() as client:
        r = client.get(f"{API}/comments", params={"thread": thread, **params})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def fragment_html(server: LiveServer, thread: str = THREAD) -> str:
    """The server-rendered thread fragment, as a CMS would include it in its page for SEO."""
    r = httpx.get(f"{server.url}/embed/demo/thread", params={"thread": thread, "lang": "en"})
    assert r.status_code == 200, r.text
    return r.text


def token_key(server: LiveServer) -> str:
    """The localStorage key under which the embed keeps the reader token."""
    return f"rostra:{server.url}:demo"


def remember_token(page: Page, server: LiveServer, token: str) -> None:
    """Make the browser already hold ``token`` (a returning reader) before the page loads."""
    page.add_init_script(f"localStorage.setItem({token_key(server)!r}, {token!r})")


_ACTIVE = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  if (!a || !a.getRootNode().host) return null;
  return {tag: a.localName, cls: a.className, id: a.dataset.id || null,
          name: a.getAttribute('name'), text: a.textContent};
}"""


def active_in_shadow(page: Page) -> dict[str, Any] | None:
    """What has focus inside the embed's shadow root: tag, classes, data-id, name, text."""
    result: dict[str, Any] | None = page.evaluate(_ACTIVE)
    return result


def wait_for_focus(page: Page, **expected: str | None) -> None:
    """Wait until the focused element in the shadow root has the ``expected`` properties."""
    try:
        page.wait_for_function(
            f"""expected => {{
              const a = ({_ACTIVE})();
              return !!a && Object.entries(expected).every(([k, v]) => a[k] === v);
            }}""",
            arg=expected,
        )
    except PlaywrightError as exc:
        raise AssertionError(f"focus is on {active_in_shadow(page)}, not {expected}") from exc


def root_ids(page: Page) -> list[str]:
    """Ids of the root comments shown in the embed, in order."""
    ids: list[str] = page.eval_on_selector_all(
        ".rostra-comments > li", "els => els.map(e => e.dataset.id)"
    )
    return ids


def comment(page: Page, comment_id: str) -> Any:
    """A locator for one comment's own card (not its replies)."""
    return page.locator(f'li[data-id="{comment_id}"] > .rostra-card')
