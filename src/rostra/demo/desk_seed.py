"""The demo's moderation desk: comments that arrive after the seeded discussion and meet the real
moderation pipeline (some are held), a comment readers report, and a moderator account.

The incoming comments are written for this demo. They go through ``Discussion`` with the real
``PipelineModerator`` (the shipped classifier, duplicates, links), so what lands in the pending
queue is what the checks decided, with their scores, not a scripted status.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from rostra.demo.content import ARTICLE, THREAD_ID
from rostra.domain.desk import Role
from rostra.domain.models import Author, Site
from rostra.moderation.moderator import PipelineModerator
from rostra.services.discussion import CommentRejected, Discussion, PostRequest
from rostra.services.reports import ReaderReports
from rostra.services.staff import StaffAccounts
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.moderation import SqlModerationState
from rostra.storage.repository import SqlStore
from rostra.storage.staff import SqlStaffStore

MODERATOR = "editor"

# (name, text): what arrives overnight. Our own words; the first three are what a newsroom's
# moderators see every day, the last two are fine.
INCOMING: tuple[tuple[str | None, str], ...] = (
    (
        "BridgeTruth",
        "Anyone still defending this bridge is a brainless idiot. Go back to school, you "
        "pathetic morons.",
    ),
    (
        None,
        "Cheap flights!!! Best deals at http://deals.example http://deals.example/2 "
        "http://deals.example/3 http://deals.example/4 click now",
    ),
    (
        "quayside_kev",
        "The councillors who voted for this are scum and deserve whatever is coming to them.",
    ),
    (
        "Old Harbour Hand",
        "I worked the old swing span for twenty years. The new motors will be quieter, but "
        "someone should check the winter maintenance budget before cheering.",
    ),
    ("Lena", "Does anyone know whether the ferry keeps running during the works?"),
)

# The seeded comment readers report, and who reports it for what.
REPORTED = "gwen-1"
REPORTS: tuple[tuple[str, str], ...] = (
    ("r08", "off_topic"),
    ("r09", "abuse"),
    ("r10", "off_topic"),
)


@dataclass(frozen=True, slots=True)
class DemoDesk:
    """How to sign in to the demo's moderation desk."""

    username: str
    password: str


def seed_desk(
    store: SqlStore,
    tokens: ReaderTokens,
    site: Site,
    start: datetime,
    reported_public_id: str | None,
    reporters: dict[str, str],
) -> None:
    """Post the incoming comments through the real pipeline and file the readers' reports."""
    at = [start]
    moderator = PipelineModerator(
        SqlModerationState(store.engines),
        address_key=b"demo-only-address-key-0123456789",
        clock=lambda: at[0],
        rate_limits=False,
    )
    discussion = Discussion(store, tokens, moderator=moderator, clock=lambda: at[0])
    for index, (name, text) in enumerate(INCOMING):
        at[0] = start + timedelta(minutes=30 * index)
        author = discussion.author(site, tokens.issue(site.id))
        request = PostRequest(
            thread_external_id=THREAD_ID,
            body=text,
            author_name=name,
            title=ARTICLE.title,
            confirmed=True,  # the authors saw the civility nudge and posted anyway
        )
        # Rejected outright is fine: the comment is kept in the rejected queue, as decided.
        with contextlib.suppress(CommentRejected):
            discussion.post(site, request, author)
    if reported_public_id is None:
        return
    reports = ReaderReports(store, clock=lambda: at[0])
    for reader, reason in REPORTS:
        reporter = Author(reader_key=tokens.verify(reporters[reader], site.id).reader_key)
        reports.report(site, reported_public_id, reason, "", reporter)


def ensure_moderator(store: SqlStore, secret_key: str, site: Site) -> DemoDesk:
    """The demo's moderator, with a fresh random password on every run (printed by the CLI)."""
    staff_store = SqlStaffStore(store.engines)
    accounts = StaffAccounts(staff_store, Signer(secret_key))
    password = secrets.token_urlsafe(12)
    found = staff_store.account_login(MODERATOR)
    if found is None:
        accounts.create(MODERATOR, password, Role.MODERATOR, [site.id], "Demo editor")
    else:
        accounts.set_password(found[0].id, password)
        staff_store.update_account(found[0].id, site_ids=[site.id], disabled=False)
    return DemoDesk(MODERATOR, password)
