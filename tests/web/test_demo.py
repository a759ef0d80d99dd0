"""The demo site: the seeded discussion keeps its promises, on both databases, and its pages work.

Seeding goes through the real service layer into a real database; the pages are fetched from a
real server; the command line runs as a real process; the lightbox and the embed's adoption of
the server-rendered thread are checked in real Chromium.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from starlette.types import ASGIApp

from rostra.config import Settings
from rostra.demo import content, followers
from rostra.demo.app import create_demo_app
from rostra.demo.content import ARTICLE, COMMENTS, SITE_SLUG, THREAD_ID
from rostra.demo.desk_seed import INCOMING, REPORTED
from rostra.demo.followers import ANSWER_NAME, REPLY_FOLLOWER
from rostra.demo.seed import seed_demo
from rostra.domain.errors import Unauthorized
from rostra.domain.models import Comment, CommentNode, SortOrder
from rostra.services.desk import ModerationDesk
from rostra.services.discussion import Discussion
from rostra.services.staff import StaffAccounts
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.repository import SqlStore
from rostra.storage.staff import SqlStaffStore
from tests.browser.conftest import BROWSER_DATABASES, CHROMIUM, CHROMIUM_ARGS
from tests.conftest import HOST_ORIGIN, SECRET, LiveServer


@pytest.fixture
def app_factory() -> Callable[[Settings], ASGIApp]:
    """These tests are about the demo site: serve the app with its plug-in mounted."""
    return create_demo_app


# Comments a reader sees: the script's (its tombstone included) and the two civil comments that
# arrived after it through the moderation checks (see rostra.demo.desk_seed).
# The script, the civil comments that arrived after it, the followers' question and answer.
SHOWN = len(COMMENTS) + len(INCOMING[3:]) + len(followers.COMMENTS)

ORIGIN = "http://127.0.0.1:8000"
ROOT = Path(__file__).parents[2]
STATIC_DEMO = ROOT / "src/rostra/demo/static"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # With a secret set, settings never write a development key file into the working folder.
    monkeypatch.setenv("ROSTRA_SECRET_KEY", SECRET)


def _walk(nodes: list[CommentNode]) -> Iterator[CommentNode]:
    for node in nodes:
        yield node
        yield from _walk(node.replies)


def _seeded(store: SqlStore) -> list[CommentNode]:
    """Every displayed comment of the demo thread (all pages, oldest first)."""
    site = store.get_site(SITE_SLUG)
    assert site is not None
    discussion = Discussion(store, ReaderTokens(Signer(SECRET)))
    page = discussion.page(site, THREAD_ID, SortOrder.OLDEST, None, None)
    return list(_walk(page.roots))


def _by_body(nodes: list[CommentNode]) -> dict[str, Comment]:
    return {n.comment.body: n.comment for n in nodes if not n.comment.is_deleted}


def test_the_script_keeps_the_discussion_rules() -> None:
    assert content.problems() == []
    assert 38 <= len(COMMENTS) <= 50
    assert {c.language for c in COMMENTS} == {"en", "fr", "de"}


def test_seed_builds_the_promised_discussion(db_url: str, store: SqlStore) -> None:
    now = datetime.now(UTC)
    seed_demo(db_url, ORIGIN, now=now)
    site = store.get_site(SITE_SLUG)
    assert site is not None and site.name == "The Harbour Courier"
    assert ORIGIN in site.allowed_origins and "http://localhost:8000" in site.allowed_origins
    thread = store.get_thread(site.id, THREAD_ID)
    assert thread is not None
    assert thread.url == f"{ORIGIN}/demo/{THREAD_ID}" and thread.title == ARTICLE.title

    nodes = _seeded(store)
    comments = [n.comment for n in nodes]
    # After the script, five comments arrived through the real moderation checks: the two civil
    # ones are shown, the abusive and the spam ones wait for (or were refused by) moderation.
    incoming = {text for _, text in INCOMING}
    arrived = [c for c in comments if c.body in incoming]
    assert {c.body for c in arrived} == {text for _, text in INCOMING[3:]}
    # Then the followers' question and its answer (rostra.demo.followers).
    asked = [c for c in comments if c.body in followers.COMMENTS]
    assert [c.author_name for c in asked] == [REPLY_FOLLOWER.name, ANSWER_NAME]
    # The tombstone shows, since its replies live.
    assert len(comments) == len(COMMENTS) + len(arrived) + len(asked)
    assert thread.comment_count == len(COMMENTS) - 1 + len(arrived) + len(asked)

    # Deeper than the display depth: the deepest replies render flat, with "@name".
    assert max(c.depth for c in comments) >= 5
    assert any(n.reply_to_name for n in nodes)
    assert max(n.display_depth for n in nodes) == site.settings.display_depth

    # Guests and named readers.
    names = {c.author_name for c in comments if not c.is_deleted}
    assert "Anonymous" in names and "Nan Polglase" in names and "Jörg Albers" in names

    # One tombstone, with its replies still there and alive.
    tombstones = [n for n in nodes if n.comment.is_deleted]
    assert len(tombstones) == 1
    assert tombstones[0].replies and not any(r.comment.is_deleted for r in tombstones[0].replies)

    # Each scripted comment is stored with its final text, its edit and its exact votes.
    stored = _by_body(nodes)
    for seed in COMMENTS:
        if seed.deleted:
            continue
        comment = stored[seed.edit.body if seed.edit else seed.body]
        assert comment.upvotes == sum(1 for _, v in seed.votes if v == 1), seed.key
        assert comment.downvotes == sum(1 for _, v in seed.votes if v == -1), seed.key
        assert (comment.edited_at is not None) == (seed.edit is not None), seed.key
        if seed.edit is not None:
            assert comment.edited_by == comment.author_name
            revisions = store.revisions(comment.id)
            assert [r.body for r in revisions] == [seed.body, seed.edit.body]
    assert sum(c.upvotes for c in comments) > 200 and sum(c.downvotes for c in comments) > 5

    # Readers write in English, French and German.
    for language, sample in (("fr", "Bonjour de Port-Lérec"), ("de", "Bei uns in Hafenwerder")):
        assert any(body.startswith(sample) for body in stored), language

    # Markdown went through the one renderer: emphasis, a quote, a list and a link.
    html = "".join(c.html for c in comments)
    for tag in ("<em>", "<strong>", "<blockquote>", "<ul>", 'href="https://council.'):
        assert tag in html

    # Times look natural: spread over days, all in the past.
    times = sorted(c.created_at for c in comments)
    assert times[-1] < now and now - times[0] < timedelta(days=4)
    assert times[-1] - times[0] > timedelta(days=2)


def test_the_demo_desk_has_work_waiting_and_a_moderator_to_do_it(
    db_url: str, store: SqlStore
) -> None:
    desk_login = seed_demo(db_url, ORIGIN)
    site = store.get_site(SITE_SLUG)
    assert site is not None
    desk = ModerationDesk(store)
    waiting = {i.comment.body for i in desk.queue(site, "pending").items} | {
        i.comment.body for i in desk.queue(site, "rejected").items
    }
    assert waiting == {text for _, text in INCOMING[:3]}
    for item in desk.queue(site, "pending").items:
        assert item.moderation and '"verdict": "hold"' in item.moderation
    [reported] = desk.queue(site, "reported").items
    assert reported.open_reports == 3 and reported.report_reasons == {"off_topic": 2, "abuse": 1}
    assert reported.comment.body == next(c for c in COMMENTS if c.key == REPORTED).body
    # The moderator signs in with the printed password; the next start prints a new one.
    accounts = StaffAccounts(SqlStaffStore(store.engines), Signer(SECRET))
    accounts.sign_in(desk_login.username, desk_login.password, None)
    again = seed_demo(db_url, ORIGIN)
    assert again.password != desk_login.password
    with pytest.raises(Unauthorized):
        accounts.sign_in(desk_login.username, desk_login.password, None)


def test_seeding_again_only_adds_the_origin(db_url: str, store: SqlStore) -> None:
    seed_demo(db_url, ORIGIN)
    site = store.get_site(SITE_SLUG)
    assert site is not None
    thread = store.get_thread(site.id, THREAD_ID)
    assert thread is not None
    before = [(n.comment.public_id, n.comment.score) for n in _seeded(store)]

    seed_demo(db_url, "https://news.example:8443/")
    seed_demo(db_url, ORIGIN)

    again = store.get_site(SITE_SLUG)
    assert again is not None
    assert again.allowed_origins == (
        ORIGIN,
        "http://localhost:8000",
        "https://news.example:8443",
    )
    assert [(n.comment.public_id, n.comment.score) for n in _seeded(store)] == before
    after = store.get_thread(site.id, THREAD_ID)
    assert after is not None and after.version == thread.version
    assert after.comment_count == thread.comment_count


def test_an_existing_site_keeps_its_name_and_gets_the_thread(db_url: str, store: SqlStore) -> None:
    store.create_site(SITE_SLUG, "Newsroom staging", ["https://staging.example"], {})
    seed_demo(db_url, ORIGIN)
    site = store.get_site(SITE_SLUG)
    assert site is not None and site.name == "Newsroom staging"
    assert site.allowed_origins[0] == "https://staging.example" and ORIGIN in site.allowed_origins
    assert len(_seeded(store)) == SHOWN


def test_article_page_embeds_the_thread_as_a_newsroom_would(
    server: LiveServer, db_url: str
) -> None:
    seed_demo(db_url, HOST_ORIGIN)
    with server.client() as client:
        r = client.get(f"/demo/{THREAD_ID}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html")
        page = r.text
        # The story.
        assert "The Harbour Courier" in page
        assert '<h1 id="story-title">Council backs £3.8m plan' in page
        assert ARTICLE.paragraphs[1][:40] in page
        # The illustration opens full size without JavaScript: a plain link to the file.
        image = f"{server.url}{ARTICLE.image}"
        assert f'<a class="zoom" href="{image}" data-zoom' in page
        # The server-rendered thread inside #rostra-thread, for readers without JavaScript.
        holder = page.split('<div id="rostra-thread" data-rostra-theme="light">', 1)[1]
        holder = holder.split("</section>", 1)[0]
        assert '<section class="rostra"' in holder
        assert holder.count('<li class="rostra-comment') == SHOWN
        assert "This comment was deleted." in holder
        assert 'class="rostra-replyto">@' in holder
        assert "Edited " in holder
        # The one script tag.
        assert (
            f'<script src="{server.url}/static/embed.js" async data-rostra-site="demo" '
            f'data-rostra-thread="{THREAD_ID}" data-rostra-url="{server.url}/demo/{THREAD_ID}" '
            f'data-rostra-title="{ARTICLE.title}"></script>'
        ) in page

        art = client.get(ARTICLE.image)
        assert art.status_code == 200 and art.headers["content-type"] == "image/svg+xml"
        for asset in ("courier.css", "courier.js", "favicon.svg"):
            assert client.get(f"{content.STATIC_URL}/{asset}").status_code == 200

        front = client.get("/")
        assert front.status_code == 200
        assert f'href="{server.url}/demo/{THREAD_ID}"' in front.text
        assert f"{SHOWN - 1} comments" in front.text  # the tombstone is not counted


def test_unknown_article_is_a_readable_404_page(server: LiveServer) -> None:
    with server.client() as client:
        r = client.get("/demo/no-such-story")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Back to the front page" in r.text and "Traceback" not in r.text


def test_article_page_before_any_comment(server: LiveServer) -> None:
    # The server fixture's "demo" site has no seeded thread: the page still renders, with the
    # comment form ready for the first comment.
    with server.client() as client:
        r = client.get(f"/demo/{THREAD_ID}")
    assert r.status_code == 200
    assert 'id="rostra-form"' in r.text and 'data-rostra-site="demo"' in r.text


def test_page_chrome_follows_the_reader_language(server: LiveServer) -> None:
    with server.client() as client:
        r = client.get(f"/demo/{THREAD_ID}", headers={"Accept-Language": "fr"})
    assert r.headers["content-language"] == "fr"
    assert '<html lang="fr">' in r.text and '<article class="story" lang="en"' in r.text


def test_cli_seeds_without_serving(db_url: str, tmp_path: Path, store: SqlStore) -> None:
    env = {**os.environ, "ROSTRA_SECRET_KEY": SECRET}
    command = [sys.executable, "-m", "rostra", "--database-url", db_url, "demo", "--seed-only"]
    for _ in range(2):
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert len(_seeded(store)) == SHOWN
    site = store.get_site(SITE_SLUG)
    assert site is not None and "http://127.0.0.1:8000" in site.allowed_origins


def _drawing_code() -> ModuleType:
    """scripts/draw_illustration.py, which drew the committed file (it is not in the package)."""
    spec = importlib.util.spec_from_file_location(
        "draw_illustration", ROOT / "scripts" / "draw_illustration.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_illustration_file_matches_its_drawing_code() -> None:
    committed = (STATIC_DEMO / "harbour-bridge.svg").read_text(encoding="utf-8")
    assert committed == _drawing_code().draw()
    assert ARTICLE.image == f"{content.STATIC_URL}/harbour-bridge.svg"
    assert len(committed.encode()) < 200_000
    root = ET.fromstring(committed)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == f"0 0 {content.IMAGE_WIDTH} {content.IMAGE_HEIGHT}"


def _in_chromium(check: Callable[[Page], None], *, javascript: bool = True) -> None:
    """Run ``check`` on a fresh page of Debian's Chromium, in a thread of its own.

    Playwright's sync API allows one instance per thread, and the browser suite's session-wide
    instance may already live in this worker's main thread; a thread of our own keeps the two
    apart. Failures inside ``check`` are re-raised here.
    """

    def run() -> None:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                context = chromium.new_context(java_script_enabled=javascript)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                check(page)
                assert errors == []
            finally:
                chromium.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()


@pytest.mark.browser
# What the browser checks is the page: on the browser tests' database only, like tests/browser
# (the seed itself is checked on both databases above).
@pytest.mark.parametrize("db_url", BROWSER_DATABASES, indirect=True)
def test_lightbox_opens_and_closes_with_the_keyboard_and_the_embed_adopts_the_thread(
    server: LiveServer, db_url: str
) -> None:
    seed_demo(db_url, HOST_ORIGIN)

    def check(page: Page) -> None:
        page.goto(f"{server.url}/demo/{THREAD_ID}")
        # The embed takes over the server-rendered thread instead of fetching another copy.
        expect(page.locator("#rostra-thread[data-rostra-ready]")).to_have_count(1)
        in_shadow = page.evaluate(
            "document.querySelector('#rostra-thread').shadowRoot"
            ".querySelectorAll('li.rostra-comment').length"
        )
        assert in_shadow == SHOWN

        link = page.locator("a[data-zoom]")
        link.focus()
        page.keyboard.press("Enter")
        dialog = page.locator("dialog#lightbox")
        expect(dialog).to_have_attribute("open", "")
        expect(dialog.locator("img")).to_have_attribute("src", f"{server.url}{ARTICLE.image}")
        assert page.evaluate("document.activeElement.classList.contains('lightbox-close')")
        page.keyboard.press("Escape")
        expect(dialog).not_to_have_attribute("open", "")
        assert page.evaluate("document.activeElement.hasAttribute('data-zoom')")

        # The close button works too.
        link.click()
        expect(dialog).to_have_attribute("open", "")
        page.locator(".lightbox-close").click()
        expect(dialog).not_to_have_attribute("open", "")

    _in_chromium(check)


@pytest.mark.browser
def test_without_javascript_the_image_link_opens_the_full_image(server: LiveServer) -> None:
    def check(page: Page) -> None:
        page.goto(f"{server.url}/demo/{THREAD_ID}")
        with page.expect_navigation():
            page.click("a[data-zoom]")
        assert page.url == f"{server.url}{ARTICLE.image}"

    _in_chromium(check, javascript=False)
