"""Reading what a request sends: its body (JSON or a form), its query and its reader token.

The one home of request parsing. Every reader is strict and answers bad input with a precise
4xx: 413 past the body limit of the route's group (checked on ``Content-Length`` and again while
reading, so a body is never read whole before it is refused), 415 for another media type, 400 for
bytes that are not UTF-8 or not JSON, 422 (naming the field) for a body of the wrong shape.
Forms are parsed here rather than by the multipart parser, which replaces bytes that are not
UTF-8 with U+FFFD: a comment must be stored as its author wrote it, or refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar
from urllib.parse import parse_qsl

import msgspec
from starlette.requests import Request

from rostra.domain.errors import N_, InvalidInput, InvalidQuery, RostraError

T = TypeVar("T")

READER_HEADER = "x-rostra-reader"
#: The shape of a comment's public id: anything else names no comment (and keeps values the
#: database refuses, a NUL on PostgreSQL, away from it).
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
#: Set by the route's group (rostra.web.groups): how many body bytes its routes accept.
BODY_LIMIT_KEY = "rostra.body_limit"
#: A reader form (the no-JavaScript comment, vote and report forms) has a handful of fields.
MAX_READER_FIELDS = 20
#: A moderation form may check many comments at once (bulk decisions).
MAX_DESK_FIELDS = 130


class PayloadTooLarge(RostraError):
    status = 413
    code = "payload-too-large"


class UnsupportedMediaType(RostraError):
    status = 415
    code = "unsupported-media-type"


class MalformedRequest(RostraError):
    status = 400
    code = "malformed-request"


def reader_token(request: Request) -> str | None:
    token = request.headers.get(READER_HEADER)
    return token.strip() if token else None


def body_limit(request: Request) -> int:
    limit: int = request.scope[BODY_LIMIT_KEY]
    return limit


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) past the group's limit before it is all read."""
    limit = body_limit(request)
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


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_json(request: Request, kind: type[T]) -> T:
    """Decode a JSON body into ``kind``; precise 4xx on size, media type, encoding or shape."""
    if media_type(request) != "application/json":
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


async def read_form(request: Request) -> dict[str, str]:
    """A no-JavaScript reader form's fields (the last value of each name)."""
    pairs = await _form_pairs(
        request,
        MAX_READER_FIELDS,
        N_("Send the form as application/x-www-form-urlencoded."),
    )
    return dict(pairs)


async def read_fields(request: Request) -> dict[str, list[str]]:
    """A moderation form's fields, every value of each name (bulk decisions repeat ``ids``)."""
    fields: dict[str, list[str]] = {}
    for key, value in await _form_pairs(
        request, MAX_DESK_FIELDS, N_("Send the form as a web form.")
    ):
        fields.setdefault(key, []).append(value)
    return fields


async def _form_pairs(request: Request, max_fields: int, wrong_type: str) -> list[tuple[str, str]]:
    if media_type(request) != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(wrong_type)
    data = await read_body(request)
    try:
        return parse_qsl(
            data.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=max_fields,
        )
    except UnicodeDecodeError as exc:
        raise MalformedRequest(N_("The form is not valid UTF-8."), code="invalid-utf8") from exc
    except ValueError as exc:
        raise MalformedRequest(
            N_("The form has more than %(max)d fields."), code="too-many-fields", max=max_fields
        ) from exc


def required_query(query: Mapping[str, str], name: str) -> str:
    """The query parameter ``name``, or :class:`InvalidQuery` when it is missing."""
    value = query.get(name)
    if value is None:
        raise InvalidQuery(
            N_("The query parameter %(name)s is required."),
            field=name,
            code="missing-parameter",
            name=name,
        )
    return value


def digits(value: str, max_length: int = 18) -> int | None:
    """``value`` as a number when it is only ASCII digits (at most ``max_length``), else None.

    ``str.isdigit`` alone accepts "²" and Arabic-Indic digits, which ``int`` then refuses or
    reads as another number.
    """
    if value.isascii() and value.isdigit() and len(value) <= max_length:
        return int(value)
    return None
