"""The moderators' desk over real storage (SQLite and PostgreSQL): staff accounts and sessions,
sign-in throttling, reader reports, queues, decisions with their audit entries, and bans."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, inspect, select

from rostra.domain.desk import BanKind, DeskAction, Grounds, Role
from rostra.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from rostra.domain.models import Author, CommentStatus, Site
from rostra.moderation.moderator import PipelineModerator
from rostra.services.desk import DecisionRequest, ModerationDesk
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.reports import ReaderReports
from rostra.services.staff import LoginLimits, StaffAccounts
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.migrate import current, downgrade, upgrade
from rostra.storage.moderation import SqlModerationState
from rostra.storage.repository import SqlStore
from rostra.storage.schema import SCHEMA_HEAD
from rostra.storage.staff import SqlStaffStore
from rostra.storage.tables import audit_log, staff_accounts, staff_sessions
from tests.conftest import SECRET
from tests.storage.test_discussion_storage import Clock

PASSWORD = "correct horse battery staple"
# Cheap argon2 parameters keep the suite fast; one test checks the production defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(store: SqlStore, clock: Clock) -> StaffAccounts:
    return StaffAccounts(
        SqlStaffStore(store.engines),
        Signer(SECRET),
        clock=clock,
        limits=LoginLimits(window_seconds=900, per_username=3, per_address=5),
        hasher=FAST_HASHER,
    )


@pytest.fixture
def tokens() -> ReaderTokens:
    return ReaderTokens(Signer(SECRET))


@pytest.fixture
def discussion(store: SqlStore, tokens: ReaderTokens, clock: Clock) -> Discussion:
    return Discussion(store, tokens, clock=clock)


def reader(tokens: ReaderTokens, site: Site) -> Author:
    return Author(reader_key=tokens.verify(tokens.issue(site.id), site.id).reader_key)


def post(
    discussion: Discussion,
    site: Site,
    author: Author,
    body: str,
    email: str = "",
    *,
    new_reader: bool = False,
) -> str:
    request = PostRequest(
        thread_external_id="article-1", body=body, email=email or None, new_reader=new_reader
    )
    return discussion.post(site, request, author).public_id


# -- accounts and sessions ---------------------------------------------------------------------


def test_accounts_hash_with_argon2id_and_refuse_bad_names_and_passwords(
    accounts: StaffAccounts, store: SqlStore
) -> None:
    real = StaffAccounts(SqlStaffStore(store.engines), Signer(SECRET))
    made = real.create("Editor.One", PASSWORD, Role.ADMIN)
    assert made.username == "editor.one" and made.role is Role.ADMIN
    with store.engines.read.connect() as conn:
        stored = conn.execute(select(staff_accounts.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    for name in ["", "a", "-dash", "x" * 65, "has space", "ümlaut", "semi;colon"]:
        with pytest.raises(InvalidInput):
            accounts.create(name, PASSWORD, Role.MODERATOR)
    for password in ["short", "x" * 1025]:
        with pytest.raises(InvalidInput):
            accounts.create("someone", password, Role.MODERATOR)
    with pytest.raises(Conflict):
        accounts.create("EDITOR.one", PASSWORD, Role.MODERATOR)
    with store.engines.read.connect() as conn:
        assert conn.execute(select(func.count()).select_from(staff_accounts)).scalar() == 1


def test_sign_in_session_idle_timeout_lifetime_and_sign_out(
    accounts: StaffAccounts, clock: Clock, store: SqlStore
) -> None:
    accounts.create("mod", PASSWORD, Role.MODERATOR)
    with pytest.raises(Unauthorized):
        accounts.sign_in("mod", "wrong password!!", None)
    with pytest.raises(Unauthorized):
        accounts.sign_in("nobody", PASSWORD, None)
    secret, session = accounts.sign_in(" MOD ", PASSWORD, None)
    assert session.account.username == "mod"
    with store.engines.read.connect() as conn:
        key = conn.execute(select(staff_sessions.c.key_hash)).scalar_one()
    assert secret not in key  # only a hash of the cookie's secret is stored
    again = accounts.session(secret)
    assert again is not None and again.csrf_token == session.csrf_token
    assert accounts.session("not-a-session") is None and accounts.session(None) is None
    # Use keeps it alive; two idle hours end it.
    clock.advance(minutes=90)
    assert accounts.session(secret) is not None
    clock.advance(minutes=121)
    assert accounts.session(secret) is None
    # However busy, a session ends after its lifetime.
    secret, _ = accounts.sign_in("mod", PASSWORD, None)
    for _ in range(13):
        clock.advance(minutes=59)
        alive = accounts.session(secret)
    assert alive is None
    secret, _ = accounts.sign_in("mod", PASSWORD, None)
    accounts.sign_out(secret)
    assert accounts.session(secret) is None


def test_sign_in_is_throttled_per_user_name_and_per_address(
    accounts: StaffAccounts, clock: Clock
) -> None:
    accounts.create("mod", PASSWORD, Role.MODERATOR)
    for _ in range(3):
        with pytest.raises(Unauthorized):
            accounts.sign_in("mod", "wrong password!!", "addr-1")
    # Even the right password is refused now, before it is checked.
    with pytest.raises(TooManyRequests) as refused:
        accounts.sign_in("mod", PASSWORD, "addr-2")
    assert 0 < refused.value.retry_after <= 900
    # From one address, guessing other names also runs out.
    with pytest.raises(Unauthorized):
        accounts.sign_in("other", "wrong password!!", "addr-1")
    with pytest.raises(Unauthorized):
        accounts.sign_in("third", "wrong password!!", "addr-1")
    with pytest.raises(TooManyRequests):
        accounts.sign_in("fourth", "wrong password!!", "addr-1")
    clock.advance(minutes=16)
    secret, _ = accounts.sign_in("mod", PASSWORD, "addr-1")
    assert accounts.session(secret) is not None


def test_disabled_accounts_and_new_passwords_end_sessions(accounts: StaffAccounts) -> None:
    made = accounts.create("mod", PASSWORD, Role.MODERATOR)
    secret, _ = accounts.sign_in("mod", PASSWORD, None)
    accounts.set_password(made.id, PASSWORD + "!")
    assert accounts.session(secret) is None
    secret, _ = accounts.sign_in("mod", PASSWORD + "!", None)
    accounts.store.update_account(made.id, disabled=True)
    assert accounts.session(secret) is None
    with pytest.raises(Unauthorized):
        accounts.sign_in("mod", PASSWORD + "!", None)


def test_csrf_tokens_belong_to_one_session(accounts: StaffAccounts) -> None:
    accounts.create("mod", PASSWORD, Role.MODERATOR)
    _, first = accounts.sign_in("mod", PASSWORD, None)
    _, second = accounts.sign_in("mod", PASSWORD, None)
    accounts.check_csrf(first, first.csrf_token)
    for forged in [None, "", second.csrf_token, first.csrf_token[:-1] + "0", "x" * 5000]:
        if forged == first.csrf_token:
            continue
        with pytest.raises(Forbidden):
            accounts.check_csrf(first, forged)


# -- reports, queues and decisions -------------------------------------------------------------


def test_reports_reach_the_queue_at_the_site_threshold(
    store: SqlStore, discussion: Discussion, tokens: ReaderTokens, accounts: StaffAccounts
) -> None:
    site = store.create_site("news", "News", [], {"moderation": {"reports": {"threshold": 2}}})
    author = reader(tokens, site)
    public_id = post(discussion, site, author, "A comment some readers will not like.")
    reports = ReaderReports(store)
    desk = ModerationDesk(store)
    with pytest.raises(Forbidden):
        reports.report(site, public_id, "abuse", "", author)
    with pytest.raises(Unauthorized):
        reports.report(site, public_id, "abuse", "", Author(reader_key=None))
    first = reader(tokens, site)
    with pytest.raises(InvalidInput):
        reports.report(site, public_id, "boring", "", first)
    with pytest.raises(InvalidInput):
        reports.report(site, public_id, "abuse", "n" * 501, first)
    with pytest.raises(NotFound):
        reports.report(site, "nope", "abuse", "", first)
    assert reports.report(site, public_id, "abuse", "Calls me names.", first) == 1
    with pytest.raises(Conflict):
        reports.report(site, public_id, "spam", "", first)
    assert desk.queue(site, "reported").items == []
    assert reports.report(site, public_id, "hate", "", reader(tokens, site)) == 2
    page = desk.queue(site, "reported")
    assert [i.comment.public_id for i in page.items] == [public_id]
    assert page.items[0].report_reasons == {"abuse": 1, "hate": 1}
    assert page.counts["reported"] == 1
    # Still visible to readers until a moderator decides.
    assert discussion.comment(site, public_id).status is CommentStatus.PUBLISHED
    # Approving resolves the reports: the comment leaves the queue.
    staff = accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id])
    desk.decide(staff, site, DecisionRequest(DeskAction.APPROVE, [public_id]))
    assert desk.queue(site, "reported").items == []
    case = desk.case(site, public_id)
    assert [resolved for *_, resolved in case.reports] == [True, True]


def test_decisions_move_comments_keep_counts_and_are_audited(
    store: SqlStore, discussion: Discussion, tokens: ReaderTokens, accounts: StaffAccounts
) -> None:
    # The site reviews every comment (pre-moderation "all"); the classifier is not needed here.
    policy = {"premoderation": "all", "toxicity": {"enabled": False}}
    site = store.create_site("news", "News", [], {"moderation": policy})
    moderator = PipelineModerator(
        SqlModerationState(store.engines), address_key=b"k" * 32, clock=discussion.clock
    )
    held = Discussion(store, tokens, moderator=moderator, clock=discussion.clock)
    ids = [post(held, site, reader(tokens, site), f"Held comment number {n}.") for n in range(3)]
    desk = ModerationDesk(store)
    staff = accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id])
    page = desk.queue(site, "pending")
    assert [i.comment.public_id for i in page.items] == ids  # oldest first
    assert page.counts == {"pending": 3, "review": 0, "reported": 0, "rejected": 0, "all": 3}
    assert store.get_thread(site.id, "article-1").comment_count == 0  # type: ignore[union-attr]

    desk.decide(staff, site, DecisionRequest(DeskAction.APPROVE, ids[:2]))
    assert store.get_thread(site.id, "article-1").comment_count == 2  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):  # a rejection needs its ground
        desk.decide(staff, site, DecisionRequest(DeskAction.REJECT, [ids[2]]))
    with pytest.raises(InvalidInput):  # "other" needs an explanation
        desk.decide(staff, site, DecisionRequest(DeskAction.REJECT, [ids[2]], Grounds.OTHER))
    desk.decide(
        staff,
        site,
        DecisionRequest(DeskAction.SPAM, [ids[1], ids[2]], Grounds.SPAM, "Link farm."),
    )
    assert store.get_thread(site.id, "article-1").comment_count == 1  # type: ignore[union-attr]
    assert desk.queue(site, "pending").items == []
    assert {i.comment.public_id for i in desk.queue(site, "rejected").items} == set(ids[1:])

    entries = desk.audit(site)
    # Pre-moderation held each comment first: the check's own decisions are on record too.
    assert [(e.action, e.actor_id) for e in entries[4:]] == [(DeskAction.AUTO_HOLD, None)] * 3
    entries = entries[:4]
    assert [(e.action, e.comment_public_id) for e in entries] == [
        (DeskAction.SPAM, ids[2]),
        (DeskAction.SPAM, ids[1]),
        (DeskAction.APPROVE, ids[1]),
        (DeskAction.APPROVE, ids[0]),
    ]
    spam = entries[0]
    assert spam.actor_name == "mod" and spam.from_status == "pending"
    assert spam.to_status == "spam" and spam.grounds == "spam"
    assert spam.explanation == "Link farm."
    assert desk.case(site, ids[1]).audit[0].action is DeskAction.SPAM


def test_bulk_decisions_are_all_or_nothing_and_other_sites_are_forbidden(
    store: SqlStore, discussion: Discussion, tokens: ReaderTokens, accounts: StaffAccounts
) -> None:
    mine = store.create_site("mine", "Mine", [], {})
    theirs = store.create_site("theirs", "Theirs", [], {})
    own_id = post(discussion, mine, reader(tokens, mine), "A comment on my site.")
    their_id = post(discussion, theirs, reader(tokens, theirs), "A comment on their site.")
    staff = accounts.create("mod", PASSWORD, Role.MODERATOR, [mine.id])
    desk = ModerationDesk(store)
    with pytest.raises(Forbidden):
        desk.site(staff, "theirs")
    request = DecisionRequest(DeskAction.REJECT, [own_id, their_id], Grounds.INSULT)
    with pytest.raises(Forbidden):
        desk.decide(staff, mine, request)
    # Nothing changed, nothing audited: the first comment's change was rolled back too.
    assert discussion.comment(mine, own_id).status is CommentStatus.PUBLISHED
    with store.engines.read.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar() == 0
    with pytest.raises(NotFound):
        desk.decide(staff, mine, DecisionRequest(DeskAction.APPROVE, ["no-such-comment"]))
    with pytest.raises(InvalidInput):
        desk.decide(staff, mine, DecisionRequest(DeskAction.APPROVE, []))
    with pytest.raises(InvalidInput):
        desk.decide(staff, mine, DecisionRequest(DeskAction.APPROVE, [f"c{n}" for n in range(101)]))
    admin = accounts.create("boss", PASSWORD, Role.ADMIN)
    assert {s.slug for s, _ in desk.sites(admin)} == {"mine", "theirs"}
    assert {s.slug for s, _ in desk.sites(staff)} == {"mine"}


def test_bans_expire_and_lift_and_show_in_the_authors_history(
    store: SqlStore,
    discussion: Discussion,
    tokens: ReaderTokens,
    accounts: StaffAccounts,
    clock: Clock,
) -> None:
    site = store.create_site("news", "News", [], {})
    author = reader(tokens, site)
    first = post(discussion, site, author, "First comment by this reader.", "a@example.org")
    post(discussion, site, author, "Second comment by this reader.")
    staff = accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id])
    desk = ModerationDesk(store, clock=clock)
    with pytest.raises(InvalidInput):
        desk.decide(
            staff, site, DecisionRequest(DeskAction.BAN, [first], Grounds.INSULT, ban_days=3)
        )
    desk.decide(
        staff,
        site,
        DecisionRequest(DeskAction.BAN, [first], Grounds.INSULT, "Repeated insults.", 7),
    )
    assert discussion.comment(site, first).status is CommentStatus.REJECTED
    keys = [("reader", author.reader_key), ("email", tokens.email_hash("A@example.org "))]
    typed = [(BanKind(k), v or "") for k, v in keys]
    active = store.active_bans(site.id, typed, clock())
    assert sorted(b.kind.value for b in active) == ["email", "reader"]
    assert all(b.reason == "Repeated insults." for b in active)
    history = desk.case(site, first).history
    assert history.by_status == {"rejected": 1, "published": 1}
    assert len(history.recent) == 2 and len(history.bans) == 2
    entry = desk.audit(site)[0]
    assert entry.action is DeskAction.BAN and len(json.loads(entry.detail)["bans"]) == 2
    # A week later the ban is over by itself.
    assert store.active_bans(site.id, typed, clock() + timedelta(days=8)) == []
    desk.lift_ban(staff, site, active[0].id, "Apologised by e-mail.")
    assert len(store.active_bans(site.id, typed, clock())) == 1
    assert desk.audit(site)[0].action is DeskAction.LIFT_BAN
    with pytest.raises(NotFound):
        desk.lift_ban(staff, site, 999_999, "")
    # A guest with neither token nor e-mail cannot be banned, only rejected.
    guest = post(discussion, site, Author(reader_key=None), "Anonymous guest comment here.")
    with pytest.raises(InvalidInput):
        desk.decide(
            staff, site, DecisionRequest(DeskAction.BAN, [guest], Grounds.INSULT, ban_days=None)
        )


def test_the_desk_migration_goes_down_and_up(store: SqlStore) -> None:
    engine = store.engines.write
    assert current(engine) == SCHEMA_HEAD
    downgrade(engine, "0002")
    names = inspect(engine).get_table_names()
    assert not {"staff_accounts", "reports", "bans", "audit_log"} & set(names)
    assert "open_reports" not in {c["name"] for c in inspect(engine).get_columns("comments")}
    upgrade(engine)
    assert current(engine) == SCHEMA_HEAD


def test_a_banned_author_cannot_post_edit_vote_or_report_until_the_ban_ends(
    store: SqlStore,
    discussion: Discussion,
    tokens: ReaderTokens,
    accounts: StaffAccounts,
    clock: Clock,
) -> None:
    from rostra.services.desk import Banned

    site = store.create_site("news", "News", [], {})
    author = reader(tokens, site)
    other = reader(tokens, site)
    target = post(discussion, site, author, "The comment that earns a ban.", "x@example.org")
    mine = post(discussion, site, author, "An earlier comment of the same reader.")
    theirs = post(discussion, site, other, "Someone else's comment.")
    staff = accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id])
    ModerationDesk(store, clock=clock).decide(
        staff, site, DecisionRequest(DeskAction.BAN, [target], Grounds.INSULT, ban_days=1)
    )
    count = store.get_thread(site.id, "article-1").comment_count  # type: ignore[union-attr]
    with pytest.raises(Banned) as refused:
        post(discussion, site, author, "Trying again right away.")
    assert refused.value.status == 403 and refused.value.code == "banned"
    assert "2026-11-02 09:00" in refused.value.message
    # A new token does not help while the e-mail address is the same.
    with pytest.raises(Banned):
        post(discussion, site, reader(tokens, site), "Fresh token, same address.", "X@example.org")
    # Nor does a token issued with the post itself (its key cannot be banned; the e-mail can).
    with pytest.raises(Banned):
        post(discussion, site, reader(tokens, site), "New.", "x@example.org", new_reader=True)
    with pytest.raises(Banned):
        discussion.edit(site, mine, "Edited while banned.", author)
    with pytest.raises(Banned):
        discussion.vote(site, theirs, 1, author)
    with pytest.raises(Banned):
        ReaderReports(store, clock=clock).report(site, theirs, "spam", "", author)
    assert store.get_thread(site.id, "article-1").comment_count == count  # type: ignore[union-attr]
    # Others are not affected; and the day after, the author may comment again.
    post(discussion, site, other, "Another reader is not banned.")
    clock.advance(days=1, seconds=1)
    post(discussion, site, author, "Back after the ban, politely.")


def test_the_checks_own_holds_and_rejections_are_in_the_audit_log(
    store: SqlStore, tokens: ReaderTokens, clock: Clock
) -> None:
    words = {"reject": ["forbiddenword"], "suspect": {"en": ["suspectword"]}}
    policy = {"toxicity": {"enabled": False}, "word_lists": words}
    site = store.create_site("news", "News", [], {"moderation": policy})
    moderator = PipelineModerator(
        SqlModerationState(store.engines), address_key=b"k" * 32, clock=clock
    )
    moderated = Discussion(store, tokens, moderator=moderator, clock=clock)
    post(moderated, site, reader(tokens, site), "A perfectly ordinary comment on the article.")
    held = post(moderated, site, reader(tokens, site), "This one has suspectword in it, sadly.")
    from rostra.services.discussion import CommentRejected

    with pytest.raises(CommentRejected):
        post(moderated, site, reader(tokens, site), "And this one says forbiddenword outright.")
    entries = ModerationDesk(store).audit(site)
    assert [(e.action, e.actor_id, e.to_status) for e in entries] == [
        (DeskAction.AUTO_REJECT, None, "rejected"),
        (DeskAction.AUTO_HOLD, None, "pending"),
    ]
    assert entries[1].comment_public_id == held
    assert entries[1].explanation.startswith("word_lists:")
    assert json.loads(entries[1].detail)["verdict"] == "hold"
    assert "suspectword in it" not in entries[1].detail  # the record never holds the text


def test_a_replayed_decision_changes_nothing_twice(
    store: SqlStore, discussion: Discussion, tokens: ReaderTokens, accounts: StaffAccounts
) -> None:
    site = store.create_site("news", "News", [], {})
    author = reader(tokens, site)
    target = post(discussion, site, author, "A comment to decide on twice.", "y@example.org")
    staff = accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id])
    desk = ModerationDesk(store)
    reject = DecisionRequest(DeskAction.REJECT, [target], Grounds.INSULT)
    assert len(desk.decide(staff, site, reject)) == 1
    assert desk.decide(staff, site, reject) == []
    ban = DecisionRequest(DeskAction.BAN, [target], Grounds.INSULT, ban_days=None)
    assert len(desk.decide(staff, site, ban)) == 1  # the status stays, the bans are new
    assert desk.decide(staff, site, ban) == []
    assert len(desk.bans(site)) == 2
    assert [e.action for e in desk.audit(site)] == [DeskAction.BAN, DeskAction.REJECT]


def test_a_site_slug_is_url_safe_and_never_a_desk_page(store: SqlStore) -> None:
    for slug in ["staff", "login", "logout", "", "Has-Caps", "a/b", "a b", "x" * 65, "-dash", "é"]:
        with pytest.raises(InvalidInput):
            store.create_site(slug, "Bad", [], {})
    assert list(store.list_sites()) == []
    assert store.create_site("the-paper_2", "Fine", [], {}).slug == "the-paper_2"


def test_reports_are_rate_limited_per_reader_and_per_address(
    store: SqlStore, discussion: Discussion, tokens: ReaderTokens, clock: Clock
) -> None:
    from rostra.services.reports import ReportLimits

    site = store.create_site("news", "News", [], {})
    ids = [
        post(discussion, site, reader(tokens, site), f"Comment number {n} here.") for n in range(6)
    ]
    reports = ReaderReports(
        store,
        clock=clock,
        counters=SqlModerationState(store.engines),
        address_key=b"k" * 32,
        limits=ReportLimits(per_reader_hour=2, per_address_hour=3),
    )
    busy = reader(tokens, site)
    reports.report(site, ids[0], "spam", "", busy, "203.0.113.7")
    reports.report(site, ids[1], "spam", "", busy, "203.0.113.7")
    with pytest.raises(TooManyRequests) as refused:
        reports.report(site, ids[2], "spam", "", busy, "203.0.113.8")
    assert refused.value.code == "too-many-reports" and 0 < refused.value.retry_after <= 3600
    # Fresh tokens from one address run out too; another address is not affected.
    reports.report(site, ids[2], "spam", "", reader(tokens, site), "203.0.113.7")
    with pytest.raises(TooManyRequests):
        reports.report(site, ids[3], "spam", "", reader(tokens, site), "203.0.113.7")
    reports.report(site, ids[3], "spam", "", reader(tokens, site), "198.51.100.1")
    # A loopback address (an unlisted local proxy) is everyone at once: not counted.
    for _ in range(4):
        reports.report(site, ids[4], "spam", "", reader(tokens, site), "127.0.0.1")
    # The next hour, the busy reader may report again.
    clock.advance(hours=1)
    reports.report(site, ids[5], "spam", "", busy, "203.0.113.7")
