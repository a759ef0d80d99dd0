"""The moderation desk in real Chromium, against the live server (SQLite and PostgreSQL).

A moderator signs in through the form, works the pending queue with the keyboard shortcuts,
decides in bulk, opens a comment in context to ban its author, lifts the ban and signs out. axe-core
checks the pages in both colour schemes, and no page may trip its own Content-Security-Policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from rostra.domain.desk import DeskAction, Role, StaffAccount
from rostra.domain.models import Author, CommentStatus, Site
from rostra.moderation.moderator import PipelineModerator
from rostra.services.desk import DecisionRequest, ModerationDesk
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.staff import StaffAccounts
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.moderation import SqlModerationState
from rostra.storage.staff import SqlStaffStore
from tests.browser.test_accessibility import AXE, blocking
from tests.conftest import SECRET, LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "a long and careful passphrase"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
HELD = {"moderation": {"premoderation": "all", "toxicity": {"enabled": False}}}
QUEUE = "/moderation/mine/queue/pending"
THREAD = "a-1"
Scheme = Literal["light", "dark"]


@dataclass
class Newsroom:
    """A site that holds every comment, its moderator, and a way to post and decide directly."""

    server: LiveServer
    site: Site
    moderator: StaffAccount
    discussion: Discussion
    tokens: ReaderTokens
    held: list[str] = field(default_factory=list)

    def reader(self) -> Author:
        token = self.tokens.issue(self.site.id)
        return Author(reader_key=self.tokens.verify(token, self.site.id).reader_key)

    def post(
        self,
        body: str,
        name: str = "Guest",
        *,
        author: Author | None = None,
        parent: str | None = None,
        email: str | None = None,
    ) -> str:
        request = PostRequest(
            thread_external_id=THREAD,
            body=body,
            author_name=name,
            email=email,
            parent_public_id=parent,
        )
        return self.discussion.post(self.site, request, author or self.reader()).public_id

    def approve(self, public_id: str) -> None:
        """Publish a held comment as the moderator would, without the browser."""
        desk = ModerationDesk(self.server.store)
        desk.decide(self.moderator, self.site, DecisionRequest(DeskAction.APPROVE, [public_id]))

    def status(self, public_id: str) -> CommentStatus:
        return self.discussion.comment(self.site, public_id).status

    def audit_size(self) -> int:
        return len(ModerationDesk(self.server.store).audit(self.site))


@pytest.fixture
def newsroom(server: LiveServer) -> Newsroom:
    store = server.store
    site = store.create_site("mine", "Mine", [], HELD)
    accounts = StaffAccounts(SqlStaffStore(store.engines), Signer(SECRET), hasher=FAST_HASHER)
    moderator = accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id], "Moderator Mo")
    tokens = ReaderTokens(Signer(SECRET))
    pipeline = PipelineModerator(SqlModerationState(store.engines), address_key=b"k" * 32)
    room = Newsroom(server, site, moderator, Discussion(store, tokens, moderator=pipeline), tokens)
    room.held = [
        room.post(f"Held comment {n}: the council should reopen the ferry.", f"Reader {n}")
        for n in range(3)
    ]
    return room


@pytest.fixture
def console(page: Page) -> Iterator[list[str]]:
    """Every console error of the test's pages; none may be a CSP refusal, nor any script error."""
    messages: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if message.type == "error":
            messages.append(message.text)

    page.on("console", record)
    yield messages
    assert [m for m in messages if "Content Security Policy" in m] == []
    assert page.page_errors == []  # type: ignore[attr-defined]


def run_axe(page: Page) -> dict[str, Any]:
    """axe-core on the page. Evaluated through the DevTools protocol rather than injected as a
    script tag, which the desk's own CSP (rightly) refuses."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations', 'passes']})"
    )
    return results


def axe_problems(page: Page) -> list[str]:
    """The serious and critical violations on the page, after making sure axe looked at it."""
    results = run_axe(page)
    assert any(p["id"] == "color-contrast" for p in results["passes"]), page.url
    return blocking(results)


def sign_in(page: Page, server: LiveServer, target: str = QUEUE) -> None:
    """Sign in through the form, starting from ``target``, and end on it."""
    page.goto(server.url + target)
    expect(page).to_have_url(re.compile(r"/moderation/login\?next="))
    page.fill("#username", "mod")
    page.fill("#password", PASSWORD)
    page.click("form.desk-login button[type=submit]")
    expect(page).to_have_url(server.url + target)


def items(page: Page) -> Locator:
    return page.locator("[data-desk-item]")


def item(page: Page, public_id: str) -> Locator:
    return page.locator(f'[data-desk-item="{public_id}"]')


def item_ids(page: Page) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        "[data-desk-item]", "els => els.map(e => e.dataset.deskItem)"
    )
    return ids


def press(page: Page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


# -- 1. signing in ------------------------------------------------------------------------------


def test_sign_in_through_the_form_and_a_wrong_password(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    page.goto(server.url + QUEUE)
    expect(page).to_have_url(
        f"{server.url}/moderation/login?next=%2Fmoderation%2Fmine%2Fqueue%2Fpending"
    )
    expect(page.locator("#username")).to_be_focused()  # autofocus
    page.fill("#username", "mod")
    page.fill("#password", "not the passphrase")
    page.keyboard.press("Enter")
    error = page.get_by_role("alert")
    expect(error).to_have_text("The user name or the password is wrong.")
    expect(page.locator("#username")).to_have_value("mod")
    assert page.context.cookies() == []

    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url + QUEUE)  # the form kept where we were going
    expect(page.locator("h1")).to_contain_text("Pending comments")
    expect(items(page)).to_have_count(3)
    expect(page.locator(".desk-signout")).to_contain_text("Moderator Mo")
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "rostra-staff"
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read it
    # The session cookie is what the browser sends on the next page.
    page.goto(server.url + "/moderation/")
    expect(page.locator("main")).to_contain_text("Your sites")
    expect(page.locator("main table")).to_contain_text("Mine")


# -- 2. the keyboard on the pending queue -------------------------------------------------------


def test_keyboard_approve_then_reject_once_a_ground_is_chosen(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    first, second, third = newsroom.held
    sign_in(page, server)
    assert item_ids(page) == [first, second, third]  # oldest first
    # A sure language is no warning sign: only risk scores are flagged as high.
    expect(item(page, first).locator(".desk-scores")).to_contain_text("language confidence")
    expect(page.locator(".desk-scores .high")).to_have_count(0)
    press(page, "j")
    expect(item(page, first)).to_be_focused()
    expect(item(page, first)).to_have_class(re.compile(r"\bdesk-current\b"))
    press(page, "a")
    expect(page).to_have_url(f"{server.url}{QUEUE}?done=approve&n=1")
    expect(page.get_by_role("status").filter(has_text="approved")).to_have_text(
        "1 comment approved."
    )
    assert item_ids(page) == [second, third]
    assert newsroom.status(first) is CommentStatus.PUBLISHED
    with server.client() as client:  # readers see it now
        listed = client.get("/api/v1/sites/mine/comments", params={"thread": THREAD}).json()
    assert [c["id"] for c in listed["comments"]] == [first]

    # Reject needs a ground: the key takes the moderator there and changes nothing.
    decisions = newsroom.audit_size()
    press(page, "j", "r")
    grounds = page.locator("#bulk-grounds")
    expect(grounds).to_be_focused()
    expect(page.locator(".desk-live")).to_have_text("Choose the ground for this decision first.")
    expect(page).to_have_url(f"{server.url}{QUEUE}?done=approve&n=1")
    assert newsroom.status(second) is CommentStatus.PENDING
    assert newsroom.audit_size() == decisions

    # Choose the ground with the keyboard, go back to the comment, reject it.
    press(page, "ArrowDown", "ArrowDown")
    expect(grounds).to_have_value("insult")
    expect(page.locator(".desk-live")).to_have_text("")  # the request for a ground is met
    press(page, "r")  # typed into the list: no decision
    expect(grounds).to_be_focused()
    press(page, "Escape")
    expect(item(page, second)).to_be_focused()
    press(page, "r")
    # The notice is the new decision's alone: the old one is not carried along.
    expect(page).to_have_url(f"{server.url}{QUEUE}?done=reject&n=1")
    expect(page.locator(".desk-done")).to_have_text("1 comment rejected.")
    assert item_ids(page) == [third]
    assert newsroom.status(second) is CommentStatus.REJECTED
    assert newsroom.status(third) is CommentStatus.PENDING


# -- 3. bulk decisions and the audit log --------------------------------------------------------


def test_bulk_reject_two_comments_and_read_the_audit_log(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    first, second, third = newsroom.held
    sign_in(page, server)
    press(page, "j", "x")  # the first with the keyboard...
    page.click(f'label[for="sel-{third}"]')  # ...the third with the mouse
    expect(page.locator(f"#sel-{first}")).to_be_checked()
    expect(page.locator(f"#sel-{second}")).not_to_be_checked()
    expect(page.locator(f"#sel-{third}")).to_be_checked()
    expect(item(page, third)).to_have_class(re.compile(r"\bdesk-current\b"))

    reject = page.get_by_role("button", name="Reject selected")
    reject.click()  # no ground yet: asked for, nothing sent
    expect(page.locator("#bulk-grounds")).to_be_focused()
    assert newsroom.status(first) is CommentStatus.PENDING

    page.select_option("#bulk-grounds", "insult")
    page.fill("#bulk-explanation", "Name-calling.")
    reject.click()
    expect(page).to_have_url(f"{server.url}{QUEUE}?done=reject&n=2")
    expect(page.locator(".desk-done")).to_have_text("2 comments rejected.")
    assert item_ids(page) == [second]
    assert newsroom.status(first) is CommentStatus.REJECTED
    assert newsroom.status(third) is CommentStatus.REJECTED
    assert newsroom.status(second) is CommentStatus.PENDING

    page.get_by_role("navigation", name="Queues").get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(f"{server.url}/moderation/mine/audit")
    for public_id in (first, third):
        row = (
            page.locator("tbody tr")
            .filter(has=page.get_by_role("link", name=public_id, exact=True))
            .filter(has_text="Moderator Mo")
        )
        expect(row).to_have_count(1)
        cells = row.locator("td")
        expect(cells.nth(1)).to_have_text("Moderator Mo")
        expect(cells.nth(2)).to_have_text("Rejected (pending → rejected)")
        expect(cells.nth(4)).to_have_text("Insults or harassment of a person: Name-calling.")
    # The automated holds are on record too, named as automated.
    held_row = page.locator("tbody tr").filter(has_text="Held for review by the checks").first
    expect(held_row.locator("td").nth(1)).to_have_text("automated")


# -- 4. one comment in context, a ban and lifting it --------------------------------------------


def test_open_in_context_ban_the_author_for_a_week_and_lift_it(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    parent = newsroom.post("The ferry is back on Monday.", "Ada")
    newsroom.approve(parent)
    bob = newsroom.reader()
    earlier = newsroom.post("Tolls again? Typical.", "Bob", author=bob)
    target = newsroom.post(
        "Ferries are a waste of money.", "Bob", author=bob, parent=parent, email="bob@example.org"
    )
    newsroom.approve(target)
    newsroom.post("Not if you live on the island.", "Cy", parent=target)

    sign_in(page, server, "/moderation/mine/queue/all")
    ids = item_ids(page)
    press(page, *["j"] * (ids.index(target) + 1))
    expect(item(page, target)).to_be_focused()
    press(page, "o")
    case_url = f"{server.url}/moderation/mine/comments/{target}"
    expect(page).to_have_url(case_url)
    expect(page.locator("h1")).to_contain_text("Comment by Bob")
    expect(page.locator(".desk-parent")).to_contain_text("In reply to Ada")
    expect(page.locator(".desk-parent .desk-body")).to_have_text("The ferry is back on Monday.")
    expect(item(page, target)).to_have_text("Ferries are a waste of money.")
    expect(page.locator(".desk-replies li")).to_have_count(1)
    expect(page.locator(".desk-replies")).to_contain_text("Cy")
    expect(page.locator(".desk-replies")).to_contain_text("Not if you live on the island.")
    checks = page.get_by_role("region", name="Automated checks")
    expect(checks).to_contain_text("Verdict: hold")
    expect(checks).to_contain_text("premoderation")
    history = page.get_by_role("region", name="The author's history on this site")
    counts = history.locator("p").first  # by status: the earlier one held, this one published
    expect(counts).to_have_text(re.compile(r"Pending\s*1\s*·\s*Published\s*1"))
    expect(history.locator(f'a[href="/moderation/mine/comments/{earlier}"]')).to_be_visible()
    expect(history).to_contain_text("Tolls again? Typical.")
    decisions = page.get_by_role("region", name="Decisions on this comment")
    expect(decisions).to_contain_text("Moderator Mo · Approved (pending → published)")
    expect(decisions).not_to_contain_text("None")

    # Ban from here, by keyboard: the ground (g), a week, a reason, back (Escape), b.
    press(page, "g")
    expect(page.locator("#case-grounds")).to_be_focused()
    page.select_option("#case-grounds", "threat")
    page.select_option("#case-ban_days", "7")
    page.fill("#case-explanation", "Threatened another reader.")
    page.focus("#case-explanation")
    press(page, "Escape", "b")
    # The comment is published, not pending: the desk asks once before overruling that.
    ask = page.get_by_role("dialog", name="Ban the author?")
    expect(ask.get_by_text("Comment by Bob")).to_be_visible()
    ask.get_by_role("button", name="Yes, ban").click()
    expect(page).to_have_url(f"{case_url}?done=ban&n=1")
    expect(page.locator(".desk-done")).to_have_text("1 author banned.")
    expect(page.locator("h1 .desk-status")).to_have_text("Rejected")
    expect(history.locator(".desk-bans li")).to_have_count(2)  # reader token and e-mail
    expect(history.locator(".desk-bans")).to_contain_text("Ban by Moderator Mo")
    assert newsroom.status(target) is CommentStatus.REJECTED
    bans = ModerationDesk(server.store).bans(newsroom.site)
    assert {b.kind.value for b in bans} == {"reader", "email"}
    for ban in bans:
        assert ban.expires_at is not None and ban.lifted_at is None
        assert ban.expires_at - ban.created_at == timedelta(days=7)

    page.get_by_role("link", name="Bans").click()
    expect(page).to_have_url(f"{server.url}/moderation/mine/bans")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    for n in range(2):
        expect(rows.nth(n).locator("td").nth(1)).to_have_text("Threatened another reader.")
        expect(rows.nth(n).locator("td").nth(2)).to_have_text("Moderator Mo")
    expect(page.locator("main")).not_to_contain_text("bob@example.org")
    for n in range(2):
        row = rows.filter(has=page.get_by_role("button", name="Lift ban")).first
        row.get_by_label("Why lift it?").fill("Apologised by e-mail.")
        row.get_by_role("button", name="Lift ban").click()
        expect(page).to_have_url(f"{server.url}/moderation/mine/bans?done=lift_ban&n=1")
        expect(page.locator(".desk-done")).to_have_text("1 ban lifted.")
        expect(page.get_by_role("button", name="Lift ban")).to_have_count(1 - n)
    expect(rows.locator("td:nth-child(5)")).to_have_text(["lifted", "lifted"])
    assert all(b.lifted_at is not None for b in ModerationDesk(server.store).bans(newsroom.site))


# -- 5. signing out -----------------------------------------------------------------------------


def test_sign_out_ends_the_session(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    sign_in(page, server)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{server.url}/moderation/login")
    expect(page.locator("h1")).to_have_text("Sign in to moderate")
    assert page.context.cookies() == []
    # Back to the queue: the page was never cached (no-store), so the server is asked again.
    page.go_back()
    expect(page).to_have_url(
        f"{server.url}/moderation/login?next=%2Fmoderation%2Fmine%2Fqueue%2Fpending"
    )
    page.goto(server.url + "/moderation/")
    expect(page).to_have_url(f"{server.url}/moderation/login?next=%2Fmoderation%2F")
    expect(page.locator("main")).not_to_contain_text("Held comment")


# -- 6. accessibility ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_desk_pages_have_no_serious_accessibility_violations(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str], scheme: Scheme
) -> None:
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    page.goto(server.url + QUEUE)
    found: dict[str, list[str]] = {"sign-in": axe_problems(page)}
    page.fill("#username", "mod")
    page.fill("#password", "wrong")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    found["sign-in error"] = axe_problems(page)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url + QUEUE)
    found["queue"] = axe_problems(page)
    # The current comment highlighted, the ground asked for, the shortcut list open.
    press(page, "j", "r")
    expect(page.locator(".desk-live")).to_have_text("Choose the ground for this decision first.")
    press(page, "Escape", "?")
    expect(page.locator(".desk-keys details")).to_have_attribute("open", "")
    expect(page.locator(".desk-current")).to_have_count(1)
    found["queue with the current comment"] = axe_problems(page)
    for name in ("comment", "audit", "bans"):
        path = {"comment": f"comments/{newsroom.held[0]}"}.get(name, name)
        page.goto(f"{server.url}/moderation/mine/{path}")
        expect(page.locator("main h1")).to_be_visible()
        found[name] = axe_problems(page)
    assert {k: v for k, v in found.items() if v} == {}


# -- 7. the Content-Security-Policy lets the desk's own files in -------------------------------

CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def test_the_csp_lets_desk_js_and_desk_css_in_and_nothing_else(
    server: LiveServer, newsroom: Newsroom, page: Page, console: list[str]
) -> None:
    page.add_init_script(CSP_WATCH)
    policies: list[str] = []
    page.on(
        "response",
        lambda r: (
            policies.append(r.headers.get("content-security-policy", ""))
            if r.request.resource_type == "document" and r.status == 200
            else None
        ),
    )
    sign_in(page, server)
    for path in [
        QUEUE,
        f"/moderation/mine/comments/{newsroom.held[0]}",
        "/moderation/mine/bans",
        "/moderation/mine/audit",
        "/moderation/",
    ]:
        page.goto(server.url + path)
        styled = page.evaluate(
            """() => ({
              font: getComputedStyle(document.body).fontFamily,
              skip: getComputedStyle(document.querySelector('.skip')).left,
              live: !!document.querySelector('p.desk-live[role=status]'),
              violations: window.__cspViolations,
            })"""
        )
        assert "system-ui" in styled["font"] and styled["skip"] == "-999px", path  # desk.css
        assert styled["live"], path  # desk.js ran
        assert styled["violations"] == [], path
    assert policies and all(
        "script-src 'self'" in p and "style-src 'self'" in p and "default-src 'none'" in p
        for p in policies
    )
    press(page, "?")  # and the script works: the shortcut list opens
    expect(page.locator(".desk-keys details")).to_have_attribute("open", "")
    assert [m for m in console if "Content Security Policy" in m] == []
