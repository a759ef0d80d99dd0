"""The query of a thread read, checked and put in one canonical form before anything uses it.

The render cache is keyed on this form, so each distinct key is a distinct page: ``limit=020``
and ``limit=20`` (or a limit equal to the site's page size and none at all) are one entry, a
value the service would refuse is refused here (422, naming the field, as the API
documents for every invalid parameter) rather than a new entry, and parameters that do not
change the bytes are not in the key. A reader cannot make the cache hold more than the thread's
real pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rostra.domain import rules
from rostra.domain.errors import N_, InvalidInput, InvalidQuery
from rostra.domain.models import Site, SortOrder
from rostra.services.discussion import MAX_PAGE
from rostra.web.requests import digits, required_query

_TRUE = ("1", "true")
_FALSE = ("", "0", "false")


@dataclass(frozen=True, slots=True)
class ThreadRead:
    """A thread read's parameters; ``limit`` None means every root."""

    thread: str
    sort: SortOrder
    cursor: str | None
    limit: int | None
    reply: str | None

    def key(self) -> tuple[object, ...]:
        """What changes the rendered bytes (``reply`` pages are never cached)."""
        return (self.thread, self.sort.value, self.cursor, self.limit)


def parse_thread_read(query: Mapping[str, str], site: Site) -> ThreadRead:
    """``query`` as one canonical ``ThreadRead``; :class:`InvalidQuery` (400) names a bad field."""
    return ThreadRead(
        thread=query_thread_id(required_query(query, "thread")),
        sort=parse_sort(query.get("sort")),
        cursor=_cursor(query.get("cursor")),
        limit=_limit(query.get("all"), query.get("limit"), site.settings.page_size),
        reply=_reply(query.get("reply")),
    )


def query_thread_id(raw: str) -> str:
    """A thread id given in the query, checked as everywhere, but refused as a bad query (400)."""
    try:
        return rules.check_external_id(raw)
    except InvalidInput as exc:
        raise InvalidQuery(exc.message_id, code=exc.code, field="thread", **exc.params) from None


def parse_sort(value: str | None) -> SortOrder:
    try:
        return SortOrder(value or SortOrder.NEWEST.value)
    except ValueError:
        raise InvalidQuery(
            N_("Sort by newest, oldest or votes."), field="sort", code="invalid-sort"
        ) from None


def _limit(all_param: str | None, raw: str | None, default: int) -> int | None:
    every = (all_param or "").lower()
    if every not in _TRUE and every not in _FALSE:
        raise InvalidQuery(N_("Set all to 1 or leave it out."), field="all", code="invalid-all")
    limit = default
    if raw is not None:
        given = digits(raw, 6)
        if given is None:
            raise InvalidQuery(
                N_("The limit must be a whole number."), field="limit", code="invalid-limit"
            )
        limit = given
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidQuery(
                N_("A page holds between 1 and %(max)d comments."),
                field="limit",
                code="invalid-limit",
                max=MAX_PAGE,
            )
    return None if every in _TRUE else limit


def _cursor(raw: str | None) -> str | None:
    """The cursor re-encoded canonically (it names a root comment's public id)."""
    if not raw:
        return None
    public_id = rules.decode_cursor(raw)
    if not public_id:
        raise InvalidQuery(
            N_("The page cursor is not valid."), field="cursor", code="invalid-cursor"
        )
    return rules.encode_cursor(public_id)


def _reply(raw: str | None) -> str | None:
    if not raw:
        return None
    if not (len(raw) <= 32 and raw.isascii() and raw.replace("-", "").replace("_", "").isalnum()):
        raise InvalidQuery(
            N_("The comment to reply to is not valid."), field="reply", code="invalid-reply"
        )
    return raw
