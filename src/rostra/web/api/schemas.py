"""Request and response bodies of the JSON API, as msgspec structs.

msgspec decodes and validates in one step (types, lengths, unknown fields) and the same structs
generate the OpenAPI schemas, so the document cannot drift from the code.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from rostra.domain.desk import ReportReason

ExternalId = Annotated[str, Meta(min_length=1, max_length=500)]
PublicId = Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Body = Annotated[str, Meta(max_length=20_000)]
Name = Annotated[str, Meta(max_length=200)]
Email = Annotated[str, Meta(max_length=254)]
Confirm = Annotated[
    bool,
    Meta(
        description=(
            "The author saw the civility nudge (a 422 problem with code civility-nudge) for this "
            "text and posts it anyway: it is saved and held for a moderator."
        )
    ),
]


Notify = Annotated[
    Literal["none", "replies", "thread"],
    Meta(
        description=(
            "Notify me of: nothing (the default), the replies to this comment, or every new "
            "comment in the thread, by mail to `email` (required then: a 422 with code "
            "notify-needs-email or invalid-email otherwise). The address gets one confirmation "
            "mail first (double opt-in) and nothing else until it is confirmed. A server with "
            "no mail server answers anything but none with 409 notify-off."
        )
    ),
]
Cadence = Annotated[
    Literal["immediate", "hourly", "daily"],
    Meta(description="How often: each comment at once, or an hourly or daily digest."),
]


class NewCommentBody(Struct, forbid_unknown_fields=True, kw_only=True):
    thread: ExternalId
    body: Body
    author: Name | None = None
    email: Email | None = None
    parent: PublicId | None = None
    # No control characters: PostgreSQL refuses a NUL (a 500), and no real URL holds one.
    url: Annotated[str, Meta(max_length=2000, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""
    title: Annotated[str, Meta(max_length=500)] = ""
    # The CMS's HMAC of thread, url and title (hex): without it url and title are recorded only
    # when the thread is created, and only for a URL on one of the site's allowed origins.
    signature: Annotated[str, Meta(max_length=128, pattern="^[0-9a-fA-F]*$")] | None = None
    nonce: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    confirm: Confirm = False
    notify: Notify = "none"


class SubscribeBody(Struct, forbid_unknown_fields=True, kw_only=True):
    thread: ExternalId
    email: Annotated[str, Meta(max_length=254, description="Where the mails go.")]
    cadence: Cadence = "immediate"


class SubscribedOut(Struct, kw_only=True):
    # The same answer whether the address was confirmed already or not: no one learns another
    # reader's subscriptions from it.
    message: str


class EditCommentBody(Struct, forbid_unknown_fields=True, kw_only=True):
    body: Body
    confirm: Confirm = False


class VoteBody(Struct, forbid_unknown_fields=True, kw_only=True):
    value: Literal[-1, 0, 1]


class ReportBody(Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[ReportReason, Meta(description="Why the reader reports the comment.")]
    note: Annotated[
        str, Meta(max_length=500, description="Anything the moderators should know (optional).")
    ] = ""


class CountsBody(Struct, forbid_unknown_fields=True, kw_only=True):
    threads: Annotated[list[ExternalId], Meta(max_length=200)]


class CommentOut(Struct, kw_only=True):
    id: str
    parent: str | None
    author: str
    html: str
    body: str | None
    status: str
    created_at: str
    edited_at: str | None
    edited_by: str | None
    deleted: bool
    upvotes: int
    downvotes: int
    score: int
    reply_to: str | None = None
    replies: list[CommentOut] = []


class ThreadOut(Struct, kw_only=True):
    id: str
    url: str
    title: str
    comment_count: int


class PageOut(Struct, kw_only=True):
    thread: ThreadOut
    sort: str
    comments: list[CommentOut]
    next_cursor: str | None
    total_roots: int
    total_comments: int


class PostedOut(Struct, kw_only=True):
    comment: CommentOut
    # The comment as the thread shows it; empty while it awaits review (then ``message`` says so).
    html: str
    reader_token: str | None = None
    message: str | None = None


class VoteOut(Struct, kw_only=True):
    id: str
    upvotes: int
    downvotes: int
    score: int
    my_vote: int


class ReportedOut(Struct, kw_only=True):
    # Only that the report was taken: never how many there are, nor whether the comment went to
    # the moderators, or a group of readers could probe the site's threshold.
    reported: bool


class CountsOut(Struct, kw_only=True):
    counts: dict[str, int]


class ReaderOut(Struct, kw_only=True):
    token: str


class CampaignOut(Struct, kw_only=True):
    """A funding campaign and its totals. Amounts are integers in the currency's minor units
    (``exponent`` digits: 2 for USD, 0 for JPY)."""

    id: str
    title: str
    goal_type: Literal["amount", "donations", "donors"]
    goal: Annotated[int, Meta(description="Minor units for an amount goal, else a count.")]
    currency: Annotated[str, Meta(description="ISO 4217 code.")]
    exponent: int
    raised_minor: int
    donations: Annotated[int, Meta(description="Donations that count: paid, not all refunded.")]
    donors: int
    ticks: list[int]
    open: bool
    starts_on: str | None
    ends_on: str | None
    version: Annotated[int, Meta(description="Moves with every change; the meter polls it.")]


class ReaderStateOut(Struct, kw_only=True):
    comments: list[str]
    votes: dict[str, int]


class RevisionOut(Struct, kw_only=True):
    number: int
    body: str
    created_at: str
    editor: str


class RevisionsOut(Struct, kw_only=True):
    id: str
    revisions: list[RevisionOut]


class PreviewBody(Struct, forbid_unknown_fields=True, kw_only=True):
    body: Annotated[
        Body, Meta(description="The comment's Markdown, checked as a comment's would be.")
    ]


class PreviewOut(Struct, kw_only=True):
    # Sanitised HTML from the renderer posting uses: what the thread would show.
    html: str


class StripeTakenOut(Struct, kw_only=True):
    """What Rostra did with a Stripe webhook event: ledger entries recorded, entries it had
    already (a replayed or repeated event), and whether the event moves no money at all."""

    received: bool
    event: str
    type: str
    recorded: int
    replayed: int
    ignored: bool


class Problem(Struct, kw_only=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    field: str | None = None


encoder = msgspec.json.Encoder()
