"""What every handler needs: settings, the discussion service, templates and caches."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar
from urllib.parse import parse_qsl

import msgspec
from jinja2 import Environment
from starlette.requests import Request

from rostra.config import Settings
from rostra.domain.errors import N_, InvalidInput, NotFound, RostraError
from rostra.domain.models import Site
from rostra.i18n import negotiate
from rostra.services.address_limits import AddressLimiter, new_reader_limiter, preview_limiter
from rostra.services.desk import ModerationDesk
from rostra.services.discussion import Discussion
from rostra.services.ports import Store
from rostra.services.reports import ReaderReports
from rostra.services.staff import StaffAccounts
from rostra.web.render import RenderCache

T = TypeVar("T")

READER_HEADER = "x-rostra-reader"
MAX_SLUG = 64  # the length of sites.slug


class PayloadTooLarge(RostraError):
    status = 413
    code = "payload-too-large"


class UnsupportedMediaType(RostraError):
    status = 415
    code = "unsupported-media-type"


class MalformedRequest(RostraError):
    status = 400
    code = "malformed-request"


@dataclass
class WebContext:
    settings: Settings
    store: Store
    discussion: Discussion
    env: Environment
    cache: RenderCache
    accounts: StaffAccounts
    desk: ModerationDesk
    reports: ReaderReports
    # Per-worker limits on cheap requests that store nothing (rostra.services.address_limits).
    preview_limits: AddressLimiter = field(default_factory=preview_limiter)
    new_reader_limits: AddressLimiter = field(default_factory=new_reader_limiter)
    sites: dict[str, tuple[float, Site]] = field(default_factory=dict)
    counts: dict[tuple[int, tuple[str, ...]], tuple[int, bytes]] = field(default_factory=dict)


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.rostra
    return ctx


def language(request: Request) -> str:
    """``?lang=`` when offered, else the best match for ``Accept-Language``."""
    return pick_language(
        context(request).settings,
        request.query_params.get("lang"),
        request.headers.get("accept-language"),
    )


def pick_language(settings: Settings, asked: str | None, accept: str | None) -> str:
    if asked is not None and asked in settings.languages:
        return asked
    return _negotiate(accept, settings.languages, settings.default_language)


@lru_cache(maxsize=512)
def _negotiate(accept: str | None, offered: tuple[str, ...], default: str) -> str:
    return negotiate(accept, offered, default)


def fresh_site(ctx: WebContext, slug: str) -> Site | None:
    """The cached site for ``slug`` while it is fresh, else None (no I/O)."""
    cached = ctx.sites.get(slug)
    if cached is None or time.monotonic() - cached[0] >= ctx.settings.site_cache_seconds:
        return None
    return cached[1]


def site(request: Request) -> Site:
    """The site named in the path. Sites change rarely: each worker keeps them a few seconds."""
    ctx = context(request)
    slug: str = request.path_params["site"]
    # No site has a longer or unprintable slug, and PostgreSQL refuses a NUL in a query
    # parameter (a 500), so such a slug is answered here without asking the database.
    if len(slug) > MAX_SLUG or not slug.isprintable():
        raise NotFound(
            N_("There is no site called %(site)s."), code="site-not-found", site=slug[:MAX_SLUG]
        )
    now = time.monotonic()
    cached = fresh_site(ctx, slug)
    if cached is not None:
        return cached
    found = ctx.discussion.site(slug)  # raises NotFound for an unknown site
    if len(ctx.sites) > 1000:
        ctx.sites.clear()
    ctx.sites[slug] = (now, found)
    return found


def reader_token(request: Request) -> str | None:
    token = request.headers.get(READER_HEADER)
    return token.strip() if token else None


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) past ``max_request_bytes`` before it is all read."""
    limit = context(request).settings.max_request_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(N_("The request body is larger than %(limit)d bytes."), limit=limit)
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise PayloadTooLarge(
                N_("The request body is larger than %(limit)d bytes."), limit=limit
            )
    return bytes(data)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_json(request: Request, kind: type[T]) -> T:
    """Decode a JSON body into ``kind``; precise 4xx on size, media type, encoding or shape."""
    if _media_type(request) != "application/json":
        raise UnsupportedMediaType(N_("Send the request body as application/json."))
    data = await read_body(request)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequest(
            N_("The request body is not valid UTF-8."), code="invalid-utf8"
        ) from exc
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            N_("The request body is not valid: %(reason)s"), code="invalid-body", reason=str(exc)
        ) from exc
    except msgspec.DecodeError as exc:
        raise MalformedRequest(
            N_("The request body is not valid JSON."), code="invalid-json"
        ) from exc


MAX_FORM_FIELDS = 20


async def read_form(request: Request) -> dict[str, str]:
    """A no-JavaScript form's fields; 415 for another encoding, 400 for invalid UTF-8.

    Parsed strictly here rather than by the multipart parser, which replaces bytes that are not
    UTF-8 with U+FFFD: a comment must be stored as its author wrote it, or refused.
    """
    if _media_type(request) != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(N_("Send the form as application/x-www-form-urlencoded."))
    data = await read_body(request)
    try:
        pairs = parse_qsl(
            data.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError as exc:
        raise MalformedRequest(N_("The form is not valid UTF-8."), code="invalid-utf8") from exc
    except ValueError as exc:
        raise MalformedRequest(
            N_("The form has more than %(max)d fields."),
            code="too-many-fields",
            max=MAX_FORM_FIELDS,
        ) from exc
    return dict(pairs)
