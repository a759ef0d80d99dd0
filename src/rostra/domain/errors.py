"""Domain errors: each carries a stable machine code, an HTTP-like status and a readable message.

Messages are gettext message ids marked with ``N_`` and formatted with named parameters; the edge
(web or CLI) translates them into the reader's language. The web layer turns errors into RFC 9457
problem documents. Keeping the status here gives every error one obvious home.
"""

from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a string for translation without translating it yet (Babel extracts ``N_``)."""
    return message


class RostraError(Exception):
    """Base class: a precise, expected failure that a client can act on."""

    status = 400
    code = "bad-request"

    def __init__(
        self,
        message_id: str,
        *,
        code: str | None = None,
        field: str | None = None,
        **params: object,
    ) -> None:
        super().__init__(message_id % params if params else message_id)
        self.message_id = message_id
        self.params = params
        if code is not None:
            self.code = code
        self.field = field

    @property
    def message(self) -> str:
        """The message in English (the source language)."""
        return str(self)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language whose ``gettext`` is given."""
        text = gettext(self.message_id)
        return text % self.params if self.params else text


class InvalidInput(RostraError):
    status = 422
    code = "invalid-input"


class InvalidQuery(InvalidInput):
    """A query parameter is missing or malformed: the request itself is wrong (400), where a body
    that parses but cannot be used is 422."""

    status = 400


class NotFound(RostraError):
    status = 404
    code = "not-found"


class Unauthorized(RostraError):
    status = 401
    code = "unauthorized"


class Forbidden(RostraError):
    status = 403
    code = "forbidden"


class Conflict(RostraError):
    status = 409
    code = "conflict"


class TooManyRequests(RostraError):
    status = 429
    code = "rate-limited"

    def __init__(
        self, message_id: str, *, retry_after: int = 60, code: str | None = None, **params: object
    ) -> None:
        super().__init__(message_id, code=code, **params)  # type: ignore[arg-type]
        self.retry_after = retry_after
