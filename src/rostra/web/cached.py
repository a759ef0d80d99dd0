"""Serve thread reads from the render cache, revalidated by the thread's version.

A thread's version changes in the same transaction as any change to what it shows, so one
indexed lookup (or none, on SQLite, while nothing was written) tells whether a cached rendering
is still right, in every worker and on every machine. Browsers and proxies revalidate with the
ETag and get 304 when nothing changed.

``FastReads`` answers cache hits before the framework runs: on a busy article, nearly every
request is one, and skipping routing, request objects and middleware is most of the cost. Which
paths it answers comes from the route table (the routes declared with ``fast_read``). A hit stays
on the event loop: it is this worker's memory, and on SQLite no query at all while nothing was
written; rendering a miss runs off the loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from rostra.domain.errors import InvalidInput
from rostra.domain.models import Site
from rostra.web import context as web
from rostra.web.edge import BASE_KEY
from rostra.web.headers import SECURITY_HEADERS, allowed_origin, frame_policy, raw
from rostra.web.render import CachedRender
from rostra.web.thread_reads import ThreadRead, parse_thread_read

#: (kind, the path's pattern with a ``site`` group), as the route table declares them.
FastReadPaths = Sequence[tuple[str, re.Pattern[str]]]


def _key(kind: str, site: Site, read: ThreadRead, lang: str, base: str) -> tuple[Any, ...]:
    """Only validated, canonical values: ``base`` is ``public_url`` or an allowed host's."""
    return (kind, site.id, site.settings, site.allowed_origins, lang, base, *read.key())


def _headers(entry: CachedRender, lang: str, site: Site, origin: str | None) -> dict[str, str]:
    headers = {
        "ETag": entry.etag,
        "Cache-Control": "public, max-age=0, must-revalidate",
        "Vary": "Accept-Language, Origin",
        "Content-Language": lang,
    }
    if entry.media_type.startswith("text/html"):
        headers["Content-Security-Policy"] = frame_policy(site)
    allowed = allowed_origin(site, origin)
    if allowed is not None:
        headers["Access-Control-Allow-Origin"] = allowed
    return headers


async def cached_thread_response(
    request: Request,
    site: Site,
    read: ThreadRead,
    kind: str,
    media_type: str,
    build: Callable[[], bytes],
) -> Response:
    """The thread read, from the cache when fresh; a page for ``read.reply`` is never cached
    (it is one reader's no-JavaScript reply form, and one per comment would crowd the cache)."""
    ctx = web.context(request)
    lang = web.language(request)
    version = ctx.reading.version(site, read.thread)
    version = -1 if version is None else version
    if read.reply is not None:
        entry = ctx.cache.make(version, await web.off_loop(build), media_type)
    else:
        key = _key(kind, site, read, lang, request.scope[BASE_KEY])
        fresh = ctx.cache.get(key, version)
        entry = fresh or ctx.cache.put(key, version, await web.off_loop(build), media_type)
    headers = _headers(entry, lang, site, request.headers.get("origin"))
    if request.headers.get("if-none-match") == entry.etag:
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type=media_type, headers=headers)


class FastReads:
    """ASGI wrapper that serves cached thread reads without entering Starlette."""

    # Parsed reads remembered per worker: hot articles are asked for with the same few query
    # strings and languages over and over, and parsing them again was a third of a hit's cost.
    MAX_REMEMBERED_READS = 4096

    def __init__(self, app: ASGIApp, ctx: web.WebContext, paths: FastReadPaths) -> None:
        self.app = app
        self.ctx = ctx
        # One pattern for every fast read, its kind the name of the group that matched: one
        # regex call per request, where a loop over the routes made several.
        self.paths = re.compile(
            "|".join(
                pattern.pattern.removeprefix("^")
                .removesuffix("$")
                .replace("(?P<site>", f"(?P<{kind}>")
                for kind, pattern in paths
            ).join(("^(?:", ")$"))
        )
        self.hits = 0  # answered here, without the framework (tests and diagnostics read it)
        # (kind, query string, site id, Accept-Language, base) -> (site, read, language, key)
        self._reads: dict[tuple[Any, ...], tuple[Site, ThreadRead, str, tuple[Any, ...]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            hit = self._lookup(scope)
            if hit is not None:
                self.hits += 1
                status, headers, body = hit
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _lookup(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        path: str = scope["path"]
        matched = self.paths.match(path)
        if matched is None or matched.lastgroup is None:
            return None
        kind = matched.lastgroup
        slug = matched[kind]
        site = web.fresh_site(self.ctx, slug)
        if site is None:
            return None
        request_headers = dict(scope["headers"])
        accept = request_headers.get(b"accept-language")
        asked = (kind, scope["query_string"], site.id, accept, scope[BASE_KEY])
        known = self._reads.get(asked)
        if known is not None and known[0] is site:  # a reloaded site is parsed afresh
            _, read, lang, key = known
        else:
            query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
            try:
                read = parse_thread_read(query, site)
            except InvalidInput:
                return None  # the framework answers it, with the reason, in the reader's language
            if read.reply is not None:
                return None
            lang = web.pick_language(self.ctx.settings, query.get("lang"), _text(accept))
            key = _key(kind, site, read, lang, scope[BASE_KEY])
            # Short requests only, so the memory this takes stays small (4,096 × under 1 KB).
            if len(scope["query_string"]) + len(accept or b"") <= 512:
                if len(self._reads) >= self.MAX_REMEMBERED_READS:
                    self._reads.clear()  # a spray of query strings only costs parsing again
                self._reads[asked] = (site, read, lang, key)
        entry = self.ctx.cache.peek(key)
        if entry is None:
            return None
        if self.ctx.reading.version(site, read.thread) != entry.version:
            return None
        if entry.raw_headers is None:
            fixed = _headers(entry, lang, site, None)
            fixed.update(SECURITY_HEADERS)
            entry.raw_headers = raw(fixed)
        headers = list(entry.raw_headers)
        allowed = allowed_origin(site, _text(request_headers.get(b"origin")))
        if allowed is not None:
            headers.append((b"access-control-allow-origin", allowed.encode("latin-1")))
        if _text(request_headers.get(b"if-none-match")) == entry.etag:
            return 304, headers, b""
        headers.append((b"content-type", entry.media_type.encode("latin-1")))
        headers.append((b"content-length", str(len(entry.body)).encode("latin-1")))
        return 200, headers, entry.body


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None
