"""The one route table, grouped by who may call each route.

Public routes read; reader routes change things and need an allowed origin (and, for edits,
deletes, votes and reports, a reader token); moderator routes need a staff session.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route

from rostra.web.api import comments as api
from rostra.web.api import preview as preview_api
from rostra.web.api.openapi import openapi_document
from rostra.web.desk import pages as desk
from rostra.web.desk import threads as desk_threads
from rostra.web.pages import feeds, health, threads
from rostra.web.preflight import preflight
from rostra.web.static_files import static_app

API = "/api/v1/sites/{site}"

PUBLIC: list[BaseRoute] = [
    Route("/healthz", health.health, methods=["GET"]),
    Route("/api/v1/openapi.json", openapi_document, methods=["GET"]),
    Route(f"{API}/comments", api.list_comments, methods=["GET"]),
    Route(API + "/comments/{comment}", api.get_comment, methods=["GET"]),
    Route(API + "/comments/{comment}/revisions", api.revisions, methods=["GET"]),
    Route(f"{API}/counts", api.counts, methods=["GET", "POST"]),
    Route("/embed/{site}/thread", threads.embed_fragment, methods=["GET"]),
    Route("/t/{site}", threads.standalone_page, methods=["GET"]),
    Route("/feeds/{site}.atom", feeds.site_feed, methods=["GET"]),
    Route("/feeds/{site}/thread.atom", feeds.thread_feed, methods=["GET"]),
    Mount("/static", app=static_app(), name="static"),
]

READER: list[BaseRoute] = [
    Route(f"{API}/comments", api.create_comment, methods=["POST"]),
    Route(API + "/comments/{comment}", api.edit_comment, methods=["PATCH"]),
    Route(API + "/comments/{comment}", api.delete_comment, methods=["DELETE"]),
    Route(API + "/comments/{comment}/vote", api.vote, methods=["PUT"]),
    Route(API + "/comments/{comment}/reports", api.report, methods=["POST"]),
    Route(f"{API}/preview", preview_api.preview, methods=["POST"]),
    Route(f"{API}/readers", api.new_reader, methods=["POST"]),
    Route(f"{API}/me", api.reader_state, methods=["GET"]),
    Route("/t/{site}/post", threads.post_form, methods=["POST"]),
    Route("/t/{site}/vote", threads.vote_form, methods=["POST"]),
    Route("/t/{site}/report", threads.report_page, methods=["GET"]),
    Route("/t/{site}/report", threads.report_form, methods=["POST"]),
    # CORS preflight for every API path a host page may call.
    Route(API + "/{path:path}", preflight, methods=["OPTIONS"]),
]

DESK = "/moderation/{site}"

# The moderation UI: every page needs a staff session, every form also the same origin and the
# session's CSRF token (see rostra.web.desk.auth).
MODERATOR: list[BaseRoute] = [
    Route("/moderation/login", desk.sign_in_form, methods=["GET"]),
    Route("/moderation/login", desk.sign_in, methods=["POST"]),
    Route("/moderation/logout", desk.sign_out, methods=["POST"]),
    Route("/moderation/", desk.home, methods=["GET"]),
    # Before the per-site routes, which would take "staff" for a site's name.
    Route("/moderation/staff", desk.staff, methods=["GET"]),
    Route("/moderation/staff", desk.staff_add, methods=["POST"]),
    Route("/moderation/staff/{account}", desk.staff_change, methods=["POST"]),
    Route(DESK, desk.site_home, methods=["GET"]),
    Route(DESK + "/queue/{queue}", desk.queue, methods=["GET"]),
    Route(DESK + "/comments/{comment}", desk.case, methods=["GET"]),
    # The thread's id is in the query (?thread=): it may hold "/", ".." or "#".
    Route(DESK + "/thread", desk_threads.thread_page, methods=["GET"]),
    Route(DESK + "/thread", desk_threads.change_thread, methods=["POST"]),
    Route(DESK + "/decide", desk.decide, methods=["POST"]),
    Route(DESK + "/bans", desk.bans, methods=["GET"]),
    Route(DESK + "/bans/{ban}/lift", desk.lift_ban, methods=["POST"]),
    Route(DESK + "/audit", desk.audit, methods=["GET"]),
]

ROUTES: list[BaseRoute] = [*PUBLIC, *READER, *MODERATOR]
