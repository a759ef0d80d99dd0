"""Bans: their lengths, what they are keyed on, and what a banned author can no longer do.

README.md ("Moderation"): the desk bans a comment's author by "reader token, e-mail hash or
account; 1/7/30 days or permanent". docs/moderation.md ("Bans"): "1, 7 or 30 days, or
permanent. A banned reader cannot post, edit, vote or report on that site (``403``, ``banned``,
with the end date)". Here a moderator bans through the desk's service and the banned author then
acts through the discussion's and the reports' services, on SQLite and PostgreSQL, with a clock
the test moves: refused until the last minute of the ban, let through once it is over (never for
a permanent ban), on that site only, and let through again when the ban is lifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from rostra.domain.desk import DeskAction, Grounds, Role, StaffAccount
from rostra.domain.errors import InvalidInput
from rostra.domain.models import Author, CommentStatus, Site
from rostra.services.desk import Banned, DecisionRequest, ModerationDesk
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.reports import ReaderReports
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.moderation import SqlModerationState
from rostra.storage.repository import SqlStore
from tests.conftest import SECRET
from tests.helpers import PASSWORD, MovingClock, staff_accounts

# A site whose comments may be edited for the longest a site allows: a week.
EDIT_WINDOW = 7 * 86_400
LONG_EDITS = {"edit_window_seconds": EDIT_WINDOW}


@dataclass
class Newsroom:
    store: SqlStore
    clock: MovingClock
    site: Site
    other_site: Site
    moderator: StaffAccount
    discussion: Discussion
    desk: ModerationDesk
    reports: ReaderReports
    tokens: ReaderTokens

    def reader(self, site: Site | None = None) -> Author:
        site = site or self.site
        return Author(reader_key=self.tokens.verify(self.tokens.issue(site.id), site.id).reader_key)

    def post(
        self, author: Author, body: str, *, site: Site | None = None, email: str | None = None
    ) -> str:
        request = PostRequest(thread_external_id="article-1", body=body, email=email)
        return self.discussion.post(site or self.site, request, author).public_id

    def ban(self, public_id: str, days: int | None) -> None:
        request = DecisionRequest(
            DeskAction.BAN, [public_id], Grounds.THREAT, "Threatened another reader.", days
        )
        self.desk.decide(self.moderator, self.site, request)

    def refused(self, author: Author, own: str | None, other: str) -> list[Banned]:
        """What ``author`` may not do any more on the site: post, edit ``own`` (when given: a
        comment still in its edit window), vote on and report ``other``. Every one must be
        refused as banned; the refusals are returned."""
        attempts = [
            lambda: self.post(author, "Am I still allowed to write here?"),
            lambda: self.discussion.vote(self.site, other, 1, author),
            lambda: self.reports.report(self.site, other, "spam", "", author),
        ]
        if own is not None:
            edit = self.discussion.edit
            attempts.append(lambda: edit(self.site, own, "An edit after the ban.", author))
        found = []
        for attempt in attempts:
            with pytest.raises(Banned) as caught:
                attempt()
            assert caught.value.status == 403 and caught.value.code == "banned"
            found.append(caught.value)
        return found

    def allowed(self, author: Author, other: str) -> None:
        """``author`` posts and edits what they posted, votes on and reports ``other`` again."""
        own = self.post(author, f"Back again at {self.clock().isoformat()}.")
        self.discussion.edit(self.site, own, f"Edited at {self.clock().isoformat()}.", author)
        self.discussion.vote(self.site, other, 1, author)
        self.reports.report(self.site, other, "spam", "", author)


@pytest.fixture
def newsroom(store: SqlStore) -> Newsroom:
    clock = MovingClock()
    site = store.create_site("news", "News", [], LONG_EDITS)
    other_site = store.create_site("elsewhere", "Elsewhere", [], LONG_EDITS)
    moderator = staff_accounts(store).create("mod", PASSWORD, Role.MODERATOR, [site.id])
    tokens = ReaderTokens(Signer(SECRET))
    return Newsroom(
        store=store,
        clock=clock,
        site=site,
        other_site=other_site,
        moderator=moderator,
        discussion=Discussion(store, tokens, clock=clock),
        desk=ModerationDesk(store, clock=clock),
        reports=ReaderReports(
            store, clock, counters=SqlModerationState(store.engines), address_key=b"k" * 32
        ),
        tokens=tokens,
    )


def until(moment: datetime) -> str:
    """The end of a ban as the refusal states it (UTC, to the minute)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("days", [1, 7, 30])
def test_a_ban_of_days_refuses_everything_until_it_ends(newsroom: Newsroom, days: int) -> None:
    banned, bystander = newsroom.reader(), newsroom.reader()
    own = newsroom.post(banned, "My earlier, perfectly fine comment.")
    other = newsroom.post(bystander, "Someone else's comment.")
    target = newsroom.post(banned, "The comment the moderator bans me for.")
    banned_at = newsroom.clock()
    newsroom.ban(target, days)
    comment = newsroom.discussion.comment(newsroom.site, target)
    assert comment.status is CommentStatus.REJECTED

    ends = banned_at + timedelta(days=days)
    for refusal in newsroom.refused(banned, own, other):
        assert refusal.params == {"until": until(ends)}
        assert until(ends) in str(refusal)

    # Still refused in the ban's last minute (editing too while the comment may still be
    # edited); let through once it has ended.
    newsroom.clock.advance(days * 86_400 - 60)
    newsroom.refused(banned, own if days * 86_400 < EDIT_WINDOW else None, other)
    newsroom.clock.advance(61)
    newsroom.allowed(banned, other)
    # The bystander was never concerned.
    newsroom.post(bystander, "I could write all along.")


def test_a_permanent_ban_does_not_end(newsroom: Newsroom) -> None:
    banned, bystander = newsroom.reader(), newsroom.reader()
    own = newsroom.post(banned, "My earlier comment.")
    other = newsroom.post(bystander, "Someone else's comment.")
    newsroom.ban(newsroom.post(banned, "The comment I am banned for."), None)
    for refusal in newsroom.refused(banned, own, other):
        assert refusal.params == {} and "no longer" in str(refusal)
    newsroom.clock.advance(EDIT_WINDOW - 60)
    newsroom.refused(banned, own, other)
    newsroom.clock.advance(365 * 86_400)
    newsroom.refused(banned, None, other)


def test_lifting_a_ban_lets_the_reader_back(newsroom: Newsroom) -> None:
    banned, bystander = newsroom.reader(), newsroom.reader()
    own = newsroom.post(banned, "My earlier comment.")
    other = newsroom.post(bystander, "Someone else's comment.")
    newsroom.ban(newsroom.post(banned, "The comment I am banned for."), 30)
    newsroom.refused(banned, own, other)
    for ban in newsroom.desk.bans(newsroom.site):
        newsroom.desk.lift_ban(newsroom.moderator, newsroom.site, ban.id, "Appeal accepted.")
    newsroom.allowed(banned, other)


def test_a_ban_holds_on_its_site_only(newsroom: Newsroom) -> None:
    banned = newsroom.reader()
    newsroom.ban(newsroom.post(banned, "The comment I am banned for."), 7)
    with pytest.raises(Banned):
        newsroom.post(banned, "Again on the same site.")
    newsroom.post(banned, "On another site of the same server.", site=newsroom.other_site)


def test_an_email_ban_covers_the_same_address_under_a_new_reader_token(
    newsroom: Newsroom,
) -> None:
    first = newsroom.reader()
    target = newsroom.post(first, "Posted with my address.", email="Someone@Example.org")
    newsroom.ban(target, 30)
    kinds = sorted(b.kind.value for b in newsroom.desk.bans(newsroom.site))
    assert kinds == ["email", "reader"]
    assert all("someone" not in b.value.lower() for b in newsroom.desk.bans(newsroom.site))
    fresh = newsroom.reader()  # a new token: only the e-mail address can name this author
    with pytest.raises(Banned):
        newsroom.post(fresh, "A new token, the same address.", email="someone@example.org")
    newsroom.post(fresh, "A new token and another address.", email="else@example.org")


def test_an_account_ban_covers_the_account_whatever_its_token(newsroom: Newsroom) -> None:
    account = Author(reader_key=None, account_id=4242)
    target = newsroom.post(account, "Posted while signed in.")
    newsroom.ban(target, 1)
    assert [b.kind.value for b in newsroom.desk.bans(newsroom.site)] == ["account"]
    with pytest.raises(Banned):
        newsroom.post(account, "Signed in again.")
    other_account = Author(reader_key=None, account_id=4243)
    newsroom.post(other_account, "Another account is not concerned.")
    newsroom.clock.advance(86_400)
    newsroom.post(account, "A day later.")


@pytest.mark.parametrize("days", [0, 2, 14, 31, 365, -1])
def test_only_the_offered_lengths_can_be_chosen(newsroom: Newsroom, days: int) -> None:
    banned = newsroom.reader()
    target = newsroom.post(banned, "The comment a moderator would ban me for.")
    with pytest.raises(InvalidInput) as caught:
        newsroom.ban(target, days)
    assert caught.value.code == "invalid-ban"
    assert newsroom.desk.bans(newsroom.site) == []
    assert newsroom.discussion.comment(newsroom.site, target).status is CommentStatus.PUBLISHED
