"""Atom feeds (RFC 4287) of the latest published comments, per site and per thread.

``GET /feeds/<site>.atom`` and ``GET /feeds/<site>/thread.atom?thread=<id>``. Each entry's
content is the comment's sanitised HTML (``type="html"``, so XML-escaped once more), its link the
comment on the article (``thread.url#c-<id>``) or on Rostra's own thread page. The XML is built
with ElementTree, which escapes every text; characters XML 1.0 cannot carry at all (most control
characters) are removed first. Links and ids start from ``public_url`` (see ``base_url``).
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import N_
from rostra.domain.models import Comment, Site, Thread
from rostra.i18n import translations
from rostra.services.feeds import Feed
from rostra.web import context as web
from rostra.web.pages.fragments import base_url, thread_link
from rostra.web.requests import required_query
from rostra.web.thread_reads import query_thread_id

ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "application/atom+xml; charset=utf-8"
# Readers poll feeds; a minute's staleness costs nobody anything.
CACHE_CONTROL = "public, max-age=60"
# Everything XML 1.0 allows (its production [2] Char); the rest is dropped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def site_feed_path(site: Site) -> str:
    return f"/feeds/{site.slug}.atom"


def thread_feed_path(site: Site, external_id: str) -> str:
    return f"/feeds/{site.slug}/thread.atom?" + urlencode({"thread": external_id})


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (ElementTree escapes the rest)."""
    return _NOT_XML.sub("", value)


def _stamp(value: datetime) -> str:
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _thread_page(base: str, site: Site, thread: Thread) -> str:
    return base + thread_link(site, thread.external_id, "")


def _article(base: str, site: Site, thread: Thread) -> str:
    """Where the thread is read: the article when its address is a web page, else our page."""
    if thread.url.lower().startswith(("http://", "https://")):
        return thread.url.split("#", 1)[0]
    return _thread_page(base, site, thread)


def _updated(comment: Comment) -> datetime:
    return comment.edited_at or comment.created_at


def render_feed(feed: Feed, base: str) -> bytes:
    site, thread = feed.site, feed.thread
    gettext = translations(site.settings.default_language).gettext
    if thread is None:
        self_link = base + site_feed_path(site)
        title = gettext(N_("Comments on %(site)s")) % {"site": site.name}
        alternate = base + "/"
    else:
        self_link = base + thread_feed_path(site, thread.external_id)
        name = thread.title or thread.external_id
        title = gettext(N_("Comments on “%(title)s”")) % {"title": name}
        alternate = _article(base, site, thread)
    root = ET.Element("feed", {"xmlns": ATOM})
    _add(root, "id", self_link)
    _add(root, "title", title)
    newest = max((_updated(c) for c, _ in feed.entries), default=None)
    fallback = thread.created_at if thread is not None else _EPOCH
    _add(root, "updated", _stamp(newest or fallback))
    _add(root, "link", rel="self", type="application/atom+xml", href=self_link)
    _add(root, "link", rel="alternate", type="text/html", href=alternate)
    _add(root, "generator", "Rostra")
    for comment, of_thread in feed.entries:
        entry = _add(root, "entry")
        _add(entry, "id", f"{base}/api/v1/sites/{site.slug}/comments/{comment.public_id}")
        about = of_thread.title or of_thread.external_id
        entry_title = gettext(N_("%(name)s on “%(title)s”"))
        _add(entry, "title", entry_title % {"name": comment.author_name, "title": about})
        author = _add(entry, "author")
        _add(author, "name", comment.author_name or gettext(N_("Anonymous")))
        _add(entry, "published", _stamp(comment.created_at))
        _add(entry, "updated", _stamp(_updated(comment)))
        link = f"{_article(base, site, of_thread)}#c-{comment.public_id}"
        _add(entry, "link", rel="alternate", type="text/html", href=link)
        _add(entry, "content", comment.html, type="html")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def _answer(request: Request, body: bytes) -> Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    asked = request.headers.get("if-none-match", "")
    if etag in [tag.strip().removeprefix("W/") for tag in asked.split(",")] or asked == "*":
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA, headers=headers)


async def site_feed(request: Request) -> Response:
    site = await web.site(request)
    reading, base = web.context(request).reading, base_url(request)
    # The database and the XML are work for a thread, not the event loop.
    body = await web.off_loop(lambda: render_feed(reading.site_feed(site), base))
    return _answer(request, body)


async def thread_feed(request: Request) -> Response:
    site = await web.site(request)
    thread = query_thread_id(required_query(request.query_params, "thread"))
    reading, base = web.context(request).reading, base_url(request)
    body = await web.off_loop(lambda: render_feed(reading.thread_feed(site, thread), base))
    return _answer(request, body)
