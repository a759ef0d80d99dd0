"""Server-side rendering: the Jinja environment, its filters, and the render cache.

The same templates produce the standalone page, the fragment the embed script shows, and each
comment the API returns after a post, so there is one rendering of a comment, not two.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import blake2b
from typing import Any

from babel.dates import format_datetime, format_timedelta
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from rostra.i18n import translations


def make_environment(package: str = "rostra.web") -> Environment:
    """The Jinja environment for the templates of ``package`` (a plug-in, the demo, has its own)."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        enable_async=False,
    )
    return env


def render(env: Environment, template: str, language: str, **context: Any) -> str:
    """Render ``template`` in ``language``; gettext calls in it use that language's catalogue."""
    catalogue = translations(language)
    now = datetime.now(UTC)

    def ago(value: datetime) -> str:
        delta = value - now
        if abs(delta.total_seconds()) < 45:
            return catalogue.gettext("just now")
        return format_timedelta(delta, add_direction=True, locale=language, threshold=0.9)

    def long_date(value: datetime) -> str:
        return format_datetime(value, "medium", tzinfo=UTC, locale=language)

    def n_(singular: str, plural: str, n: int, **params: Any) -> str:
        text = catalogue.ngettext(singular, plural, n)
        return text % ({"num": n} | params)

    def g_(message: str, **params: Any) -> str:
        text = catalogue.gettext(message)
        return text % params if params else text

    tpl = env.get_template(template)
    return tpl.render(
        _=g_,
        gettext=g_,
        ngettext=n_,
        ago=ago,
        long_date=long_date,
        lang=language,
        safe=Markup,
        **context,
    )


@dataclass(slots=True)
class CachedRender:
    version: int
    created: float
    body: bytes
    etag: str
    media_type: str
    # Response headers that never change for this entry, encoded once (see FastReads).
    raw_headers: list[tuple[bytes, bytes]] | None = None


class RenderCache:
    """Rendered thread pages per worker, valid while the thread's version is unchanged.

    Every write bumps the thread's version in the same transaction as the change, so checking the
    version (one indexed row) is enough to know an entry is fresh, across worker processes and
    machines alike. Entries also expire after ``max_age`` so relative times stay right.

    The cache is bounded by the bytes it holds, not by its number of entries: one long thread's
    page can weigh as much as a thousand short ones, and a count would let a few variants of a
    big thread take a worker's memory.
    """

    # What an entry costs beside its body: the key, the entry and the ETag, roughly.
    ENTRY_OVERHEAD = 512

    def __init__(self, max_bytes: int, max_age: float) -> None:
        self._entries: OrderedDict[tuple[Any, ...], CachedRender] = OrderedDict()
        self._max_bytes = max_bytes
        self._max_age = max_age
        self.size = 0  # bytes held now, by the measure above

    def get(self, key: tuple[Any, ...], version: int) -> CachedRender | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.version != version or time.monotonic() - entry.created > self._max_age:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def peek(self, key: tuple[Any, ...]) -> CachedRender | None:
        """The entry for ``key`` if it is young enough; the caller checks its version."""
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.created > self._max_age:
            return None
        return entry

    @staticmethod
    def make(version: int, body: bytes, media_type: str) -> CachedRender:
        """An entry that is not kept (a page that is never cached still gets an ETag)."""
        etag = '"' + blake2b(body, digest_size=12).hexdigest() + '"'
        return CachedRender(version, time.monotonic(), body, etag, media_type)

    def put(self, key: tuple[Any, ...], version: int, body: bytes, media_type: str) -> CachedRender:
        entry = self.make(version, body, media_type)
        cost = len(body) + self.ENTRY_OVERHEAD
        if cost > self._max_bytes:
            return entry  # larger than the whole cache: served, not kept
        self._drop(key)
        self._entries[key] = entry
        self.size += cost
        while self.size > self._max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: tuple[Any, ...]) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry.body) + self.ENTRY_OVERHEAD
