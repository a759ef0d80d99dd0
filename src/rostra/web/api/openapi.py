"""The OpenAPI 3.1 document of the JSON API, generated from the msgspec structs.

Request and response bodies come from ``msgspec.json.schema_components`` over the very structs the
handlers decode and encode, so a field added to a struct shows up here without anyone touching this
module. What the structs cannot say (paths, parameters, who may call what, which errors each
operation can answer) is declared once below; the test suite fuzzes the live server against this
document, so a status code or shape that is missing here fails a test.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.rules import MAX_EXTERNAL_ID
from rostra.services.discussion import MAX_PAGE
from rostra.web.api import schemas as s
from rostra.web.api.routes import API_ROUTES

Json = dict[str, Any]

SCHEMAS = "#/components/schemas/{name}"
SECURITY_SCHEME = "readerToken"
PROBLEM_MEDIA = "application/problem+json"
JSON_MEDIA = "application/json"

# Every struct that appears on the wire; their names become the component names.
_STRUCTS: tuple[type[msgspec.Struct], ...] = (
    s.NewCommentBody,
    s.EditCommentBody,
    s.VoteBody,
    s.ReportBody,
    s.CountsBody,
    s.PreviewBody,
    s.PageOut,
    s.CommentOut,
    s.PostedOut,
    s.VoteOut,
    s.ReportedOut,
    s.CountsOut,
    s.ReaderOut,
    s.ReaderStateOut,
    s.RevisionsOut,
    s.PreviewOut,
    s.SubscribeBody,
    s.SubscribedOut,
    s.CampaignOut,
    s.StripeTakenOut,
    s.Problem,
)

# One reusable response per error status; each says in general terms when it happens, and the
# ``code`` member of the problem document says precisely which case it was.
_ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "BadRequest",
        "A query parameter is missing or malformed, or the body is not valid JSON or UTF-8.",
    ),
    401: ("Unauthorized", "The reader token is missing, malformed, forged, foreign or expired."),
    403: (
        "Forbidden",
        "Not allowed: origin, authorship, edit window, closed thread, own vote or report, ban.",
    ),
    404: ("NotFound", "The site, thread, comment or parent comment does not exist."),
    409: (
        "Conflict",
        "The state forbids it: deleted, replied to, already posted, already reported, "
        "already with the moderators, no mail server for notifications (notify-off).",
    ),
    413: ("PayloadTooLarge", "The request body is larger than the server accepts."),
    415: ("UnsupportedMediaType", "The request body is not sent as application/json."),
    422: (
        "InvalidInput",
        "A body field is missing, too long or out of range, or a well-formed parameter does not "
        "apply (a page cursor from another thread).",
    ),
    429: ("TooManyRequests", "Too many requests; wait for Retry-After seconds."),
}

# Writing a comment can be refused with 422 for more than a malformed field; the ``code`` says
# which: ``rejected`` (moderation refused it; it is kept for the moderators) or ``civility-nudge``.
_COMMENT_REFUSED = (
    "CommentRefused",
    "A parameter or a body field is missing, too long or out of range; or moderation refused "
    "the comment (code rejected); or, code civility-nudge, the comment would be held for its "
    "tone: nothing was saved, and the author may revise it or send it again with confirm: true "
    "to have it saved and held for a moderator. With notify replies or thread: code "
    "notify-needs-email (no email given) or invalid-email (an address Rostra will not write to).",
)

# Which failures each kind of operation can meet, beyond 404 (unknown site) and 429 (rate limit),
# which every operation can answer.
_READ = (400, 422)
_BODY = (400, 413, 415, 422)
_WRITE_ORIGIN = (403,)
_TOKEN = (401,)


def _ref(name: str) -> Json:
    return {"$ref": SCHEMAS.format(name=name)}


def _param(name: str) -> Json:
    return {"$ref": f"#/components/parameters/{name}"}


def _json_body(struct: str) -> Json:
    return {"required": True, "content": {JSON_MEDIA: {"schema": _ref(struct)}}}


def _ok(struct: str, description: str, status: int = 200, **extra: Any) -> dict[str, Json]:
    response: Json = {"description": description, "content": {JSON_MEDIA: {"schema": _ref(struct)}}}
    response.update(extra)
    return {str(status): response}


def _errors(*statuses: int) -> dict[str, Json]:
    wanted = sorted({404, 429, *statuses})
    return {str(code): {"$ref": f"#/components/responses/{_ERRORS[code][0]}"} for code in wanted}


def _comment_errors(*statuses: int) -> dict[str, Json]:
    """The errors of an operation that writes a comment's text (its 422 says more)."""
    out = _errors(*statuses)
    out["422"] = {"$ref": f"#/components/responses/{_COMMENT_REFUSED[0]}"}
    return out


def _operation(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    responses: dict[str, Json],
    parameters: list[Json] | None = None,
    body: str | None = None,
    token: str = "none",
) -> Json:
    """One operation. ``token``: "none", "optional" (a guest may post without one) or "required"."""
    op: Json = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = _json_body(body)
    if token == "required":
        op["security"] = [{SECURITY_SCHEME: []}]
    elif token == "optional":
        op["security"] = [{}, {SECURITY_SCHEME: []}]
    else:
        op["security"] = []
    op["responses"] = responses
    return op


def _parameters() -> dict[str, Json]:
    thread = {"type": "string", "minLength": 1, "maxLength": MAX_EXTERNAL_ID}
    return {
        "site": {
            "name": "site",
            "in": "path",
            "required": True,
            "description": "The site's short name, as its administrator created it.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 64},
        },
        "comment": {
            "name": "comment",
            "in": "path",
            "required": True,
            "description": "The comment's opaque public id.",
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": 32,
                "pattern": "^[A-Za-z0-9_-]+$",
            },
        },
        "thread": {
            "name": "thread",
            "in": "query",
            "required": True,
            "description": "The thread's id in the publishing system (an article id, say).",
            "schema": thread,
        },
        "threads": {
            "name": "thread",
            "in": "query",
            "required": True,
            "description": (
                "The threads to count; repeat the parameter for each thread. For more threads "
                "or long ids use POST: HTTP servers refuse URLs past a limit (64 KiB here, "
                "often 8 KiB behind a proxy)."
            ),
            "style": "form",
            "explode": True,
            "schema": {"type": "array", "items": thread, "minItems": 1, "maxItems": 50},
        },
        "sort": {
            "name": "sort",
            "in": "query",
            "required": False,
            "schema": {
                "type": "string",
                "enum": ["newest", "oldest", "votes"],
                "default": "newest",
            },
        },
        "cursor": {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "The next_cursor of the previous page.",
            "schema": {"type": "string"},
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Root comments per page; the site's page size when left out.",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        },
        "campaign": {
            "name": "campaign",
            "in": "path",
            "required": True,
            "description": "The campaign's public id, as rostra campaign add printed it.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 32},
        },
        "all": {
            "name": "all",
            "in": "query",
            "required": False,
            "description": "Every root comment at once, ignoring limit and cursor.",
            "schema": {"type": "boolean"},
        },
    }


def _operations() -> list[Json]:
    """Every operation of the API; where each is served comes from the route table."""
    site = _param("site")
    comment = _param("comment")
    location = {
        "headers": {
            "Location": {
                "description": "Where the new comment can be read.",
                "required": True,
                "schema": {"type": "string"},
            }
        }
    }
    return [
        _operation(
            "listComments",
            "One page of a thread's root comments, each with its replies.",
            tag="comments",
            parameters=[
                site,
                _param("thread"),
                _param("sort"),
                _param("cursor"),
                _param("limit"),
                _param("all"),
            ],
            responses={**_ok("PageOut", "The page."), **_errors(*_READ)},
        ),
        _operation(
            "createComment",
            "Post a comment or a reply; a first-time guest also gets a reader token.",
            tag="comments",
            parameters=[site],
            body="NewCommentBody",
            token="optional",
            responses={
                **_ok("PostedOut", "The comment was posted.", 201, **location),
                **_ok("PostedOut", "The comment was saved and awaits review.", 202),
                **_comment_errors(*_BODY, *_TOKEN, *_WRITE_ORIGIN, 409),
            },
        ),
        _operation(
            "getComment",
            "One published comment.",
            tag="comments",
            parameters=[site, comment],
            responses={**_ok("CommentOut", "The comment."), **_errors()},
        ),
        _operation(
            "editComment",
            "Change one's own comment while the edit window is open.",
            tag="comments",
            parameters=[site, comment],
            body="EditCommentBody",
            token="required",
            responses={
                **_ok("PostedOut", "The edited comment."),
                **_ok("PostedOut", "The edit was saved and awaits review.", 202),
                **_comment_errors(*_BODY, *_TOKEN, *_WRITE_ORIGIN, 409),
            },
        ),
        _operation(
            "deleteComment",
            "Delete one's own comment (a tombstone stays while replies hang below it).",
            tag="comments",
            parameters=[site, comment],
            token="required",
            responses={
                **_ok("CommentOut", "The deleted comment."),
                **_errors(*_TOKEN, *_WRITE_ORIGIN, 409),
            },
        ),
        _operation(
            "voteComment",
            "Vote a comment up (1), down (-1), or take one's vote back (0).",
            tag="votes",
            parameters=[site, comment],
            body="VoteBody",
            token="required",
            responses={
                **_ok("VoteOut", "The comment's new tally and the reader's vote."),
                **_errors(*_BODY, *_TOKEN, *_WRITE_ORIGIN, 409),
            },
        ),
        {
            **_operation(
                "reportComment",
                "Report a published comment to the moderators, once per reader.",
                tag="reports",
                parameters=[site, comment],
                body="ReportBody",
                token="required",
                responses={
                    **_ok("ReportedOut", "The report was recorded.", 201),
                    **_errors(*_BODY, *_TOKEN, *_WRITE_ORIGIN, 409),
                },
            ),
            "description": (
                "When as many readers as the site's threshold have reported a comment, it "
                "enters the moderators' reported queue; it stays visible until a moderator "
                "decides. The answer is the same whatever the count, so it cannot be used "
                "to learn the threshold."
            ),
        },
        {
            **_operation(
                "listRevisions",
                "Every version of a published comment, oldest first.",
                tag="comments",
                parameters=[site, comment],
                token="optional",
                responses={**_ok("RevisionsOut", "The revisions."), **_errors(401, 403)},
            ),
            "description": (
                "Unless the site makes edit histories public (its public_revisions setting), "
                "only the comment's author (by their reader token) and the site's moderators "
                "(by their session in the moderation pages) may read them; anyone else gets "
                "403 with code revisions-private."
            ),
        },
        _operation(
            "getCounts",
            "Published comment counts of several threads.",
            tag="threads",
            parameters=[site, _param("threads")],
            responses={**_ok("CountsOut", "Counts by thread id."), **_errors(*_READ)},
        ),
        _operation(
            "postCounts",
            "Published comment counts of many threads (ids in the body).",
            tag="threads",
            parameters=[site],
            body="CountsBody",
            responses={**_ok("CountsOut", "Counts by thread id."), **_errors(*_BODY)},
        ),
        {
            **_operation(
                "previewComment",
                "Render a comment's Markdown as the thread would show it; nothing is stored.",
                tag="comments",
                parameters=[site],
                body="PreviewBody",
                responses={
                    **_ok("PreviewOut", "The sanitised HTML."),
                    **_comment_errors(*_BODY, *_WRITE_ORIGIN),
                },
            ),
            "description": (
                "The same origin check, body limit, length rules and renderer as posting. "
                "Each client address may ask for a limited number of previews a minute."
            ),
        },
        {
            **_operation(
                "newReader",
                "A new reader token, for a browser that has none yet.",
                tag="readers",
                parameters=[site],
                responses={
                    **_ok("ReaderOut", "The token.", 201),
                    **_errors(*_WRITE_ORIGIN),
                },
            ),
            "description": (
                "Each client address may get a few new tokens a minute (keep the one you "
                "have), so a token cannot be made for every comment."
            ),
        },
        {
            **_operation(
                "followThread",
                "Follow a thread by e-mail without commenting (double opt-in).",
                tag="notifications",
                parameters=[site],
                body="SubscribeBody",
                token="optional",
                responses={
                    **_ok(
                        "SubscribedOut",
                        "Taken: the address gets a link to confirm, unless it was confirmed "
                        "already (the answer is the same either way).",
                        202,
                    ),
                    **_errors(*_BODY, *_TOKEN, *_WRITE_ORIGIN, 409),
                },
            ),
            "description": (
                "409 notify-off when this server has no mail server (no smtp_url). "
                "The thread must exist and be open (404 thread-not-found, 403 thread-closed). "
                "422 invalid-email for an address Rostra will not write to (malformed, too "
                "long, a line break, not ASCII). One confirmation mail per address, site and "
                "day however many requests; requests a minute are limited per client address, "
                "per reader (with a token) and per target address (429 notify-rate-limited)."
            ),
        },
        {
            **_operation(
                "getCampaign",
                "A funding campaign's goal and totals (what its meter shows).",
                tag="funding",
                parameters=[site, _param("campaign")],
                responses={**_ok("CampaignOut", "The campaign."), **_errors()},
            ),
            "description": (
                "Amounts are integers in the currency's minor units. The answer carries an ETag "
                "of the campaign's version: poll with If-None-Match and get 304 while nothing "
                "changed. 404 campaign-not-found for an unknown id or another site's campaign."
            ),
        },
        {
            **_operation(
                "stripeWebhook",
                "Stripe's webhook events for the site's account (donations, refunds, disputes).",
                tag="funding",
                parameters=[site],
                responses={
                    **_ok("StripeTakenOut", "The event was taken (or was known already)."),
                    **_errors(400, 409, 413, 415, 422),
                },
            ),
            "requestBody": {
                "required": True,
                "content": {JSON_MEDIA: {"schema": {"type": "object"}}},
            },
            "description": (
                "Called by Stripe, not by browsers: the Stripe-Signature header (t=...,v1= an "
                "HMAC-SHA256 of 't.body' under the site's funding.stripe_webhook_secret) is "
                "checked first: 400 signature-missing, signature-invalid or signature-stale. "
                "404 stripe-not-configured when the site has no webhook secret; 404 "
                "campaign-not-found for another site's campaign; 422 currency-mismatch, "
                "invalid-amount, amount-too-large or invalid-event; 409 campaign-closed, or "
                "payment-not-recorded for a refund whose payment has not come yet (Stripe "
                "retries). A replayed event answers 200 with replayed > 0 and counts once."
            ),
        },
        _operation(
            "readerState",
            "The reader's own comments and votes in a thread.",
            tag="readers",
            parameters=[site, _param("thread")],
            token="required",
            responses={
                **_ok("ReaderStateOut", "The reader's comments and votes."),
                **_errors(*_READ, *_TOKEN),
            },
        ),
    ]


def _paths() -> Json:
    """Each API route of the table with its operation (the route's name is the operation id)."""
    operations = {op["operationId"]: op for op in _operations()}
    paths: Json = {}
    for route in API_ROUTES:
        assert route.name in operations, f"{route.path} has no documented operation"
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                paths.setdefault(route.path, {})[method.lower()] = operations[route.name]
    return paths


def _responses() -> dict[str, Json]:
    out: dict[str, Json] = {}
    for code, (name, description) in [*_ERRORS.items(), (422, _COMMENT_REFUSED)]:
        response: Json = {
            "description": description,
            "content": {PROBLEM_MEDIA: {"schema": _ref("Problem")}},
        }
        if code == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "string"},
                }
            }
        out[name] = response
    return out


def build_document() -> Json:
    """The whole document as plain data."""
    _, components = msgspec.json.schema_components(_STRUCTS, ref_template=SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rostra comments API",
            "version": "1",
            "description": (
                "Threads, comments, votes, reports and counts of the sites a Rostra server hosts. "
                "Errors are RFC 9457 problem documents whose `code` names the exact case. "
                "Browsers may only write from a page whose origin the site allows; callers "
                "that are not browsers send no Origin header."
            ),
        },
        # Relative, so the document is right behind any proxy or under any host name.
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "comments"},
            {"name": "votes"},
            {"name": "reports"},
            {"name": "threads"},
            {"name": "readers"},
            {"name": "notifications"},
            {"name": "funding"},
        ],
        "paths": _paths(),
        "components": {
            "schemas": components,
            "parameters": _parameters(),
            "responses": _responses(),
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Rostra-Reader",
                    "description": (
                        "A signed reader token from POST /readers or from a guest's first "
                        "comment; it proves authorship and keeps one vote per reader."
                    ),
                }
            },
        },
    }


@cache
def document_bytes() -> bytes:
    """The encoded document, built on first use and kept: it never changes while running."""
    return msgspec.json.encode(build_document())


async def openapi_document(request: Request) -> Response:
    return Response(
        document_bytes(),
        media_type=JSON_MEDIA,
        headers={"Cache-Control": "public, max-age=300"},
    )
