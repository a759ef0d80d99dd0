"""RFC 9457 problem documents for every API error, translated to the reader's language."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import RostraError, TooManyRequests
from rostra.domain.models import Site
from rostra.i18n import translations
from rostra.web.context import SITE_KEY, language
from rostra.web.headers import cors_headers

log = logging.getLogger("rostra.web")

PROBLEM_TYPE = "https://rostra.invalid/problems/"
_encoder = msgspec.json.Encoder()

_HTTP_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    request: Request | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": _HTTP_TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
    if field is not None:
        body["field"] = field
    if extra:
        body.update(extra)
    return Response(
        _encoder.encode(body),
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def error_cors_headers(request: Request) -> dict[str, str]:
    """CORS headers on an error, so an allowed host page (the embed) can read its detail.

    Only for a site this request already looked up (no I/O while answering an error)."""
    site: Site | None = request.scope.get(SITE_KEY)
    return cors_headers(request, site) if site is not None else {}


def language_of(request: Request) -> str:
    """The reader's language (``?lang=``, else ``Accept-Language``), unless a handler chose one."""
    chosen = getattr(request.state, "language", None)
    return str(chosen) if chosen else language(request)


def from_error(request: Request, exc: RostraError) -> Response:
    gettext = translations(language_of(request)).gettext
    headers = error_cors_headers(request)
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return problem(
        exc.status,
        exc.code,
        exc.translated(gettext),
        request=request,
        field=exc.field,
        headers=headers or None,
    )


async def rostra_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RostraError)
    return from_error(request, exc)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    detail = exc.detail if isinstance(exc.detail, str) else _HTTP_TITLES.get(exc.status_code, "")
    gettext = translations(language_of(request)).gettext
    return problem(
        exc.status_code,
        code,
        gettext(detail),
        request=request,
        headers={**(exc.headers or {}), **error_cors_headers(request)} or None,
    )


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    # Never show a stack trace to a client; the log keeps it (without request bodies).
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    gettext = translations(language_of(request)).gettext
    return problem(
        500, "internal-error", gettext("Something went wrong on our side."), request=request
    )
