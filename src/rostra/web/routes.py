"""The one route table, each route declared through its access group (rostra.web.groups).

Public routes read; reader routes change things and need an allowed origin (and, for edits,
deletes, votes and reports, a reader token); the moderation desk's routes need a staff session,
and its forms the same origin and the session's CSRF token (rostra.web.desk.access). The fast
reads (rostra.web.cached) and the OpenAPI document are derived from this table.
"""

from __future__ import annotations

import re

from starlette.routing import BaseRoute, Mount

from rostra.web.api.openapi import openapi_document
from rostra.web.api.routes import API, API_ROUTES
from rostra.web.desk import alerts as desk_alerts
from rostra.web.desk import funding as desk_funding
from rostra.web.desk import jobs as desk_jobs
from rostra.web.desk import pages as desk
from rostra.web.desk import threads as desk_threads
from rostra.web.desk import webhooks as desk_webhooks
from rostra.web.desk.access import ADMIN, DESK_ENTRY, MODERATOR
from rostra.web.embed_script import embed_script
from rostra.web.groups import PUBLIC, READER, Group, own_origin_write
from rostra.web.pages import donate, feeds, health, meter, notify, threads
from rostra.web.preflight import preflight
from rostra.web.static_files import static_app

# The reader's pages and no-JS forms: PUBLIC's and READER's rules, and every refusal a page
# a person can read.
PUBLIC_PAGE = Group("public-page", rules=PUBLIC.rules, wrap=threads.refusals_as_pages)
READER_PAGE = Group("reader-page", rules=READER.rules, wrap=threads.refusals_as_pages)
# The pages notification mails link to (confirm, unsubscribe, manage): signed links, no sign-in;
# a browser's POST only from this server's own pages; refusals as pages.
NOTIFY_PAGE = Group("notify-page", rules=(own_origin_write,), wrap=threads.refusals_as_pages)
NOTIFY = "/n/{site}"

PAGES: list[BaseRoute] = [
    PUBLIC.route("/healthz", health.health, ["GET"]),
    PUBLIC.route("/api/v1/openapi.json", openapi_document, ["GET"]),
    # The embed's fragment is read by its script: a refusal is a problem document there.
    PUBLIC.route("/embed/{site}/thread", threads.embed_fragment, ["GET"], fast_read="fragment"),
    PUBLIC.route("/embed/{site}/meter", meter.meter_fragment, ["GET"]),
    PUBLIC_PAGE.route("/t/{site}", threads.standalone_page, ["GET"], fast_read="page"),
    PUBLIC.route("/feeds/{site}.atom", feeds.site_feed, ["GET"]),
    PUBLIC.route("/feeds/{site}/thread.atom", feeds.thread_feed, ["GET"]),
    READER_PAGE.route("/t/{site}/post", threads.post_form, ["POST"]),
    READER_PAGE.route("/t/{site}/vote", threads.vote_form, ["POST"]),
    READER_PAGE.route("/t/{site}/report", threads.report_page, ["GET"]),
    READER_PAGE.route("/t/{site}/report", threads.report_form, ["POST"]),
    READER_PAGE.route("/t/{site}/follow", notify.follow_form, ["POST"], limit="subscribe"),
    # A reader's gift (rostra.web.pages.donate): the choosing page, the "Donate" button's
    # endpoint (303 to Stripe's Checkout), the thank-you page Stripe sends the reader back to.
    PUBLIC_PAGE.route("/f/{site}/donate", donate.donate_page, ["GET"]),
    READER_PAGE.route("/f/{site}/donate", donate.donate, ["POST"]),
    PUBLIC_PAGE.route("/f/{site}/thanks", donate.thanks_page, ["GET"]),
    NOTIFY_PAGE.route(NOTIFY + "/confirm", notify.confirm_page, ["GET"]),
    NOTIFY_PAGE.route(NOTIFY + "/confirm", notify.confirm, ["POST"]),
    NOTIFY_PAGE.route(NOTIFY + "/unsubscribe", notify.unsubscribe_page, ["GET"]),
    NOTIFY_PAGE.route(NOTIFY + "/unsubscribe", notify.unsubscribe, ["POST"]),
    NOTIFY_PAGE.route(NOTIFY + "/manage", notify.manage_page, ["GET"]),
    NOTIFY_PAGE.route(NOTIFY + "/manage", notify.manage_stop, ["POST"]),
    # CORS preflight for every API path a host page may call.
    PUBLIC.route(API + "/{path:path}", preflight, ["OPTIONS"]),
    # Before /static: the server fills in the script's messages for a thread it cannot fetch.
    PUBLIC.route("/static/embed.js", embed_script, ["GET", "HEAD"]),
    Mount("/static", app=static_app(), name="static"),
]

DESK = "/moderation/{site}"

DESK_ROUTES: list[BaseRoute] = [
    DESK_ENTRY.route("/moderation/login", desk.sign_in_form, ["GET"]),
    DESK_ENTRY.route("/moderation/login", desk.sign_in, ["POST"]),
    MODERATOR.route("/moderation/logout", desk.sign_out, ["POST"]),
    MODERATOR.route("/moderation/", desk.home, ["GET"]),
    # Before the per-site routes, which would take "staff" for a site's name.
    MODERATOR.route("/moderation/alerts", desk_alerts.alerts_page, ["GET"]),
    MODERATOR.route("/moderation/alerts", desk_alerts.change_alerts, ["POST"]),
    ADMIN.route("/moderation/staff", desk.staff, ["GET"]),
    ADMIN.route("/moderation/staff", desk.staff_add, ["POST"]),
    ADMIN.route("/moderation/staff/{account}", desk.staff_change, ["POST"]),
    ADMIN.route("/moderation/jobs", desk_jobs.jobs_page, ["GET"]),
    ADMIN.route("/moderation/jobs/retry-dead", desk_jobs.retry_all_dead, ["POST"]),
    ADMIN.route("/moderation/jobs/{job}/retry", desk_jobs.retry_job, ["POST"]),
    MODERATOR.route(DESK, desk.site_home, ["GET"]),
    MODERATOR.route(DESK + "/queue/{queue}", desk.queue, ["GET"]),
    MODERATOR.route(DESK + "/comments/{comment}", desk.case, ["GET"]),
    # The thread's id is in the query (?thread=): it may hold "/", ".." or "#".
    MODERATOR.route(DESK + "/thread", desk_threads.thread_page, ["GET"]),
    MODERATOR.route(DESK + "/thread", desk_threads.change_thread, ["POST"]),
    MODERATOR.route(DESK + "/decide", desk.decide, ["POST"]),
    MODERATOR.route(DESK + "/bans", desk.bans, ["GET"]),
    MODERATOR.route(DESK + "/bans/{ban}/lift", desk.lift_ban, ["POST"]),
    MODERATOR.route(DESK + "/audit", desk.audit, ["GET"]),
    ADMIN.route(DESK + "/webhooks", desk_webhooks.webhooks_page, ["GET"]),
    ADMIN.route(DESK + "/webhooks", desk_webhooks.add_endpoint, ["POST"]),
    ADMIN.route(DESK + "/webhooks/{endpoint}/{action}", desk_webhooks.endpoint_action, ["POST"]),
    ADMIN.route(DESK + "/funding", desk_funding.funding_page, ["GET"]),
    ADMIN.route(DESK + "/funding/donations", desk_funding.record_donation, ["POST"]),
    ADMIN.route(DESK + "/funding/campaigns", desk_funding.add_campaign, ["POST"]),
    ADMIN.route(
        DESK + "/funding/campaigns/{campaign}/{action}", desk_funding.campaign_action, ["POST"]
    ),
]

ROUTES: list[BaseRoute] = [*API_ROUTES, *PAGES, *DESK_ROUTES]

GROUPS: tuple[Group, ...] = (
    PUBLIC,
    PUBLIC_PAGE,
    READER,
    READER_PAGE,
    NOTIFY_PAGE,
    DESK_ENTRY,
    MODERATOR,
    ADMIN,
)


def fast_read_paths() -> list[tuple[str, re.Pattern[str]]]:
    """The cached thread reads' kinds and path patterns (``site`` is a named group)."""
    return [
        (row.fast_read, row.route.path_regex)
        for group in GROUPS
        for row in group.routes
        if row.fast_read is not None
    ]


def route_table() -> list[tuple[str, str, str, str]]:
    """(methods, path, group, options) of every route: the table the docs and tests show."""
    rows = []
    for group in GROUPS:
        for row in group.routes:
            options = ", ".join(
                f"{k}={v}" for k, v in (("limit", row.limit), ("fast_read", row.fast_read)) if v
            )
            methods = ",".join(sorted(m for m in row.route.methods or () if m != "HEAD"))
            rows.append((methods, row.route.path, group.name, options))
    return rows
