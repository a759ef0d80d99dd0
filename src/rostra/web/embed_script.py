"""The embed script as served: embed.js with the words it may show before the thread arrives.

The thread fragment brings the reader's language for everything the embed shows (its
``data-rostra-i18n``), but when the first request fails there is no fragment: the reader would
get the script's English fallbacks. So the server fills the script's ``EARLY`` table, when it
serves it, with those few messages in every language it offers (``"*"``: the default language,
for a page in another), from the same gettext catalogues. Built once per set of languages;
compressed once; revalidated by ETag, cached for an hour like the other static files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import N_
from rostra.i18n import translations
from rostra.web import context as web
from rostra.web.static_files import MAX_AGE

# The embed's messages for a thread it could not fetch; the keys are its EN table's.
EARLY_MESSAGES = {
    "failed": N_("The comments could not be reached. Please try again."),
    "notHere": N_("Comments are not available on this page."),
}
MARKER = "const EARLY = {};"
MEDIA_TYPE = "text/javascript; charset=utf-8"


@dataclass(frozen=True)
class BuiltScript:
    body: bytes
    gzipped: bytes
    etag: str


def early_table(languages: tuple[str, ...], default: str) -> dict[str, dict[str, str]]:
    def messages(language: str) -> dict[str, str]:
        catalogue = translations(language)
        return {key: catalogue.gettext(msgid) for key, msgid in EARLY_MESSAGES.items()}

    table = {language: messages(language) for language in languages}
    table["*"] = messages(default)
    return table


@lru_cache(maxsize=8)
def built_script(languages: tuple[str, ...], default: str) -> BuiltScript:
    source = files("rostra.web").joinpath("static/embed.js").read_text("utf-8")
    if source.count(MARKER) != 1:
        raise RuntimeError(f"embed.js must hold {MARKER!r} exactly once")
    table = json.dumps(early_table(languages, default), ensure_ascii=False, sort_keys=True)
    body = source.replace(MARKER, f"const EARLY = {table};").encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()[:20]
    return BuiltScript(body, gzip.compress(body, compresslevel=9, mtime=0), f'"{digest}"')


async def embed_script(request: Request) -> Response:
    settings = web.context(request).settings
    script = built_script(settings.languages, settings.default_language)
    headers = {
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "ETag": script.etag,
        "Vary": "Accept-Encoding",
        # Loaded by pages on other origins.
        "Access-Control-Allow-Origin": "*",
    }
    if script.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = script.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = script.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
