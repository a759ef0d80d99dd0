"""``make demo`` shows "Notify me of" working with no mail server. The seed subscribes three
followers through the subscription service and posts a question and its answer after them; the
demo's own job runner then sends, over real SMTP to the demo's sink, the notifications and (due
at start, in the demo only) the daily digest, and the mailbox page lists them by kind. A newcomer
who comments is mailed a confirmation, and the thread's follower is notified of it. Seeding
again (a restart) writes no second follower, job or mail. Both databases."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, or_, select

from rostra.config import Settings, load_settings
from rostra.demo.app import create_demo_app
from rostra.demo.content import ARTICLE, THREAD_ID
from rostra.demo.followers import (
    ANSWER,
    ANSWER_NAME,
    DIGEST_FOLLOWER,
    REPLY_FOLLOWER,
    THREAD_FOLLOWER,
)
from rostra.demo.mail_sink import BoundController, start_sink
from rostra.demo.mailbox import Mailbox
from rostra.demo.seed import seed_demo
from rostra.i18n import translations
from rostra.storage.database import create_engines
from rostra.storage.repository import SqlStore
from rostra.storage.subscriptions import SqlSubscriptionReads
from rostra.storage.tables import jobs
from tests.conftest import HOST_ORIGIN, IN_PROCESS_URL, SECRET, LiveServer
from tests.helpers import QUIET, posted

pytestmark = pytest.mark.in_process

SUBJECT = "Confirm your notifications from Demo"
TITLE = ARTICLE.title
NEWCOMER = "newcomer@example.org"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "caught"


@pytest.fixture
def sink(folder: Path) -> Iterator[BoundController]:
    controller = start_sink(Mailbox(folder))
    yield controller
    controller.stop()


def seed(settings: Settings) -> None:
    """What ``rostra demo`` does before it serves: seed with the server's secret."""
    seed_demo(settings.database_url, IN_PROCESS_URL, secret_key=settings.secret_key)


@pytest.fixture
def app_factory(folder: Path) -> Callable[..., Any]:
    def make(settings: Settings) -> Any:
        seed(settings)
        store = SqlStore(create_engines(settings.database_url))
        try:
            store.update_site("demo", None, QUIET)  # no classifier to load for these comments
        finally:
            store.close()
        return create_demo_app(settings, mailbox=folder)

    return make


@pytest.fixture
def settings_overrides(sink: BoundController) -> dict[str, Any]:
    return {"smtp_url": sink.url, "public_url": IN_PROCESS_URL, "jobs_poll_ms": 20}


def busy_jobs(store: SqlStore) -> int:
    """Jobs due now or under way (the fan-out's midnight digest job is neither)."""
    c = jobs.c
    now = datetime.now(UTC)
    due = or_(c.state == "running", (c.state == "queued") & (c.run_after <= now))
    with store.engines.read.connect() as conn:
        return int(conn.execute(select(func.count()).where(due)).scalar_one())


def all_jobs(store: SqlStore) -> list[str]:
    with store.engines.read.connect() as conn:
        return sorted(conn.execute(select(jobs.c.idempotency_key)).scalars())


def settled(store: SqlStore, timeout: float = 30) -> None:
    """Wait until the runner has nothing left to do now."""
    deadline = time.monotonic() + timeout
    while busy_jobs(store) and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    assert busy_jobs(store) == 0, "the demo's job runner did not finish"


def caught(folder: Path) -> list[tuple[str, str]]:
    """(To, Subject) of every caught mail, sorted."""
    return sorted((m.header("To"), m.header("Subject")) for m in Mailbox(folder).mails())


def listing_once_it_shows(client: httpx.Client, text: str, timeout: float = 10) -> str:
    """The mailbox page once it lists ``text`` (the runner sends on its own time)."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get("/demo/mailbox").text
        if text in page or time.monotonic() > deadline:
            return page
        threading.Event().wait(0.02)


def rows(listing: str) -> list[tuple[str, str, str]]:
    """(kind label, To, Subject) of each row of the mailbox page."""
    found = re.findall(
        r'<td>(?:<span class="mail-kind [^"]+">([^<]*)</span>)?</td>\s*'
        r"<td>([^<]*)</td>\s*<td><a [^>]*>([^<]*)</a>",
        listing,
    )
    return [(kind, to, subject) for kind, to, subject in found]


def digest_subject(count: int) -> str:
    french = translations("fr")
    one, many = "%(count)d new comment on %(site)s", "%(count)d new comments on %(site)s"
    return french.ngettext(one, many, count) % {"count": count, "site": "Demo"}


def seeded_mails() -> list[tuple[str, str]]:
    asked = f"{REPLY_FOLLOWER.name} commented on “{TITLE}”"
    answered = f"{ANSWER_NAME} replied under “{TITLE}”"
    return sorted(
        [
            (THREAD_FOLLOWER.address, asked),
            (THREAD_FOLLOWER.address, answered),
            (REPLY_FOLLOWER.address, answered),
            (DIGEST_FOLLOWER.address, digest_subject(2)),
        ]
    )


def test_the_seeded_followers_get_notifications_and_a_digest(
    server: LiveServer, folder: Path
) -> None:
    settled(server.store)
    assert caught(folder) == seeded_mails()
    assert digest_subject(2).startswith("2 nouveaux commentaires")  # in the follower's language
    with server.client() as client:
        listing = client.get("/demo/mailbox").text
        shown = rows(listing)
        [digest] = [m for m in Mailbox(folder).mails() if m.header("To") == DIGEST_FOLLOWER.address]
        digest_page = client.get(f"/demo/mailbox/{digest.key}").text
        french = client.get("/demo/mailbox", headers={"Accept-Language": "fr"}).text
    digest_row = ("Digest", DIGEST_FOLLOWER.address, digest_subject(2))
    assert sorted(shown) == sorted(
        [("Notification", *mail) for mail in seeded_mails() if mail != digest_row[1:]]
        + [digest_row]
    )
    # The page says who follows what, and how to make one of them get mail.
    for follower in (THREAD_FOLLOWER, REPLY_FOLLOWER, DIGEST_FOLLOWER):
        assert f"{follower.name} ({follower.address})" in listing
    assert "follows the whole discussion" in listing and "daily digest, in French" in listing
    assert f'href="{IN_PROCESS_URL}/demo/{THREAD_ID}#comments"' in listing
    assert "Qui reçoit du courrier dans cette démo" in french
    assert sorted(kind for kind, _to, _subject in rows(french)) == ["Notification"] * 3 + ["Résumé"]
    # The digest groups both comments under the article, in French.
    assert "Votre" in digest_page
    assert REPLY_FOLLOWER.comment.split("?")[0] in digest_page and ANSWER[:40] in digest_page


def test_a_newcomers_comment_notifies_the_follower_and_confirms_its_author(
    server: LiveServer, folder: Path
) -> None:
    settled(server.store)
    with server.client(headers={"Origin": HOST_ORIGIN}) as http:
        posted(
            http,
            "Following this one.",
            thread=THREAD_ID,
            author="Newcomer",
            email=NEWCOMER,
            notify="thread",
        )
    with server.client() as client:
        listing = listing_once_it_shows(client, "Newcomer commented on")
        settled(server.store)
        listing = client.get("/demo/mailbox").text
        [link] = re.findall(
            r'href="(?:http://127\.0\.0\.1)?(/demo/mailbox/[^"]+)">' + re.escape(SUBJECT), listing
        )
        mail = client.get(link).text
    assert ("Confirmation", NEWCOMER, SUBJECT) in rows(listing)
    notified = ("Notification", THREAD_FOLLOWER.address, f"Newcomer commented on “{TITLE}”")
    assert notified in rows(listing)
    # Nobody else: the reply follower's question was not answered, the digest waits for midnight.
    assert len(rows(listing)) == len(seeded_mails()) + 2
    assert f"<dt>To</dt><dd>{NEWCOMER}</dd>" in mail
    assert "<dt>List-Unsubscribe-Post</dt><dd>List-Unsubscribe=One-Click</dd>" in mail
    assert re.search(r"http://127\.0\.0\.1/n/demo/confirm\?token=[\w.%-]+", mail)


def test_seeding_again_adds_no_follower_job_or_mail(
    server: LiveServer, folder: Path, db_url: str
) -> None:
    settled(server.store)
    reads = SqlSubscriptionReads(server.store.engines)
    subscriptions = list(reads.all_rows())
    assert len(subscriptions) == 3 and all(s.state.value == "confirmed" for s in subscriptions)
    jobs_before = all_jobs(server.store)
    settings = load_settings(env={}, database_url=db_url, secret_key=SECRET)
    seed(settings)  # a restart of rostra demo
    seed(settings)
    settled(server.store)
    assert list(reads.all_rows()) == subscriptions
    assert all_jobs(server.store) == jobs_before
    assert caught(folder) == seeded_mails()


def test_the_demo_digest_is_queued_after_the_comments_it_sends_in_one_batch(db_url: str) -> None:
    """Why the digest finds its items: the runner claims jobs by when they are due, then by id,
    and one default batch takes all the seed's, so the comments fan out before it runs."""
    settings = load_settings(env={}, database_url=db_url, secret_key=SECRET)
    seed(settings)
    store = SqlStore(create_engines(db_url))
    try:
        with store.engines.read.connect() as conn:
            queued = conn.execute(
                select(jobs.c.kind, jobs.c.idempotency_key).order_by(jobs.c.run_after, jobs.c.id)
            ).all()
    finally:
        store.close()
    kinds = [kind for kind, _key in queued]
    assert kinds.count("notify.published") == 2 and kinds[-1] == "notify.digest"
    assert queued[-1][1].endswith(":demo")  # the demo's own key, not the midnight job's
    assert len(queued) <= Settings().jobs_batch_size
