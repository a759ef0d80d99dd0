"""The JSON API's routes, each with its access group and its OpenAPI operation id.

The OpenAPI document (rostra.web.api.openapi) is built from this table, so a route cannot be
served undocumented or documented unserved.
"""

from __future__ import annotations

from starlette.routing import Route

from rostra.web.api import comments as api
from rostra.web.api import funding as funding_api
from rostra.web.api import preview as preview_api
from rostra.web.api import stripe_webhook
from rostra.web.api import subscriptions as subscriptions_api
from rostra.web.groups import PUBLIC, READER

API = "/api/v1/sites/{site}"
ONE = API + "/comments/{comment}"

API_ROUTES: list[Route] = [
    PUBLIC.route(
        f"{API}/comments", api.list_comments, ["GET"], name="listComments", fast_read="json"
    ),
    READER.route(f"{API}/comments", api.create_comment, ["POST"], name="createComment"),
    PUBLIC.route(ONE, api.get_comment, ["GET"], name="getComment"),
    READER.route(ONE, api.edit_comment, ["PATCH"], name="editComment"),
    READER.route(ONE, api.delete_comment, ["DELETE"], name="deleteComment"),
    READER.route(ONE + "/vote", api.vote, ["PUT"], name="voteComment"),
    READER.route(ONE + "/reports", api.report, ["POST"], name="reportComment"),
    PUBLIC.route(ONE + "/revisions", api.revisions, ["GET"], name="listRevisions"),
    PUBLIC.route(f"{API}/counts", api.counts, ["GET"], name="getCounts"),
    PUBLIC.route(f"{API}/counts", api.counts, ["POST"], name="postCounts"),
    READER.route(
        f"{API}/preview", preview_api.preview, ["POST"], name="previewComment", limit="preview"
    ),
    READER.route(f"{API}/readers", api.new_reader, ["POST"], name="newReader", limit="new_reader"),
    READER.route(f"{API}/me", api.reader_state, ["GET"], name="readerState"),
    PUBLIC.route(
        f"{API}/campaigns/{{campaign}}", funding_api.get_campaign, ["GET"], name="getCampaign"
    ),
    # Stripe's webhooks: no browser's, so no origin check; the signature is the authority.
    PUBLIC.route(
        f"{API}/funding/stripe",
        stripe_webhook.stripe_webhook,
        ["POST"],
        name="stripeWebhook",
    ),
    READER.route(
        f"{API}/subscriptions",
        subscriptions_api.follow,
        ["POST"],
        name="followThread",
        limit="subscribe",
    ),
]
