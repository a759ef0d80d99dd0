"""Mails a published comment causes, end to end on both databases: comments posted through the
services, their jobs run by the jobs runner (``run_batch``, on the test's clock), the mails
received by a real SMTP server (aiosmtpd on a kernel-assigned port) and parsed.

Who gets one: the parent's subscriber and the thread's followers, once each however many of
their subscriptions match, never the comment's author, nobody unconfirmed or gone; nothing for a
held comment until a moderator approves it. Digests: an hourly subscriber's comments of two
threads in one mail at the hour. Faults: the SMTP server down while comments are published,
back later: every mail arrives, once. Threading: Message-ID, In-Reply-To and References.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from rostra.app import register_notification_jobs, register_notify_jobs, subscription_service
from rostra.config import Settings, load_settings
from rostra.domain.desk import DeskAction, Grounds, Role
from rostra.domain.models import Author, Comment, CommentStatus, Site
from rostra.domain.subscriptions import Cadence, NotifyChoice, Subscription
from rostra.jobs.registry import JobHandlers
from rostra.jobs.runner import Runner
from rostra.moderation.moderator import PipelineModerator
from rostra.notify.fanout import clean_name, fan_out
from rostra.services.desk import DecisionRequest, ModerationDesk
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.subscriptions import Subscriptions
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.fanout import SqlFanout
from rostra.storage.moderation import SqlModerationState
from rostra.storage.repository import SqlStore
from rostra.storage.tables import comments, jobs
from tests.conftest import SECRET
from tests.helpers import QUIET, reader_author, staff_accounts
from tests.notify.conftest import (
    FROM,
    Clock,
    Received,
    Recorder,
    Restartable,
    drain,
    jobs_runner,
)

ARTICLE = "https://news.example/2026/12/harbour"
CONFIRM_SUBJECT = re.compile(r"Confirm|Confirmez")


@dataclass
class World:
    store: SqlStore
    site: Site
    settings: Settings
    clock: Clock
    subs: Subscriptions
    discussion: Discussion
    runner: Runner
    recorder: Recorder
    tokens: ReaderTokens

    def drain(self) -> int:
        return drain(self.runner)

    def mails(self) -> list[Received]:
        """What arrived, the confirmation mails left out."""
        return [m for m in self.recorder.mails if not CONFIRM_SUBJECT.search(m.message["Subject"])]

    def to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.mails() if m.rcpt_tos == [address]]

    def reader(self) -> Author:
        return reader_author(self.tokens, self.site.id)

    def post(
        self,
        author: Author,
        body: str,
        *,
        name: str = "A reader",
        email: str | None = None,
        parent: Comment | None = None,
        thread: str = "harbour",
    ) -> Comment:
        request = PostRequest(
            thread_external_id=thread,
            body=body,
            author_name=name,
            email=email,
            parent_public_id=parent.public_id if parent else None,
            url=f"{ARTICLE}-{thread}",
            title=f"The {thread} story",
        )
        return self.discussion.post(self.site, request, author)

    def follow(
        self,
        address: str,
        *,
        comment: Comment | None = None,
        thread: str = "harbour",
        cadence: Cadence = Cadence.IMMEDIATE,
        language: str = "en",
        confirm: bool = True,
    ) -> Subscription:
        """Subscribe ``address`` (to a comment's replies, or a thread), confirmed unless not."""
        choice = NotifyChoice.REPLIES if comment else NotifyChoice.THREAD
        wish = self.subs.wish(self.site, choice, address, cadence=cadence, language=language)
        assert wish is not None
        now = self.clock()
        with self.store.write() as tx:
            found = tx.get_or_create_thread(
                self.site.id, thread, f"{ARTICLE}-{thread}", f"The {thread} story", now, True
            )
            assert found is not None
            subscription = self.subs.record(tx, wish, found, comment, now, counted=True)
            nonce = tx.confirm_nonce(subscription.subscriber_id)
            if confirm and nonce is not None:
                tx.confirm_subscriber(subscription.subscriber_id, nonce, now)
        return subscription


def settings_for(url: str, **extra: Any) -> Settings:
    return load_settings(
        env={},
        secret_key=SECRET,
        smtp_url=url,
        mail_from=FROM,
        public_url="https://comments.news.example",
        **extra,
    )


@pytest.fixture
def world(store: SqlStore, mailserver: Restartable) -> Iterator[World]:
    site = store.create_site("demo", "Demo", ["https://news.example"], QUIET)
    settings = settings_for(f"smtp://127.0.0.1:{mailserver.port}")
    clock = Clock()
    tokens = ReaderTokens(Signer(SECRET))
    subs = subscription_service(settings, store, clock=clock)
    moderator = PipelineModerator(SqlModerationState(store.engines), address_key=b"k" * 32)
    discussion = Discussion(store, tokens, moderator=moderator, clock=clock, subscriptions=subs)
    handlers = JobHandlers()
    notifier = register_notification_jobs(handlers, settings, store, subs, clock=clock)
    assert notifier is not None
    register_notify_jobs(handlers, settings, store)
    runner = jobs_runner(store, handlers, clock)
    yield World(store, site, settings, clock, subs, discussion, runner, mailserver.recorder, tokens)
    notifier.close()


def message_ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_a_reply_mails_the_parents_subscriber_and_the_follower_once_never_its_author(
    world: World,
) -> None:
    ana, carl = world.reader(), world.reader()
    world.follow("ana@x.example")
    world.follow("bob@x.example")
    world.follow("carl@x.example")
    root = world.post(
        ana, "The **harbour** plan needs a second look.", name="Ana", email="ana@x.example"
    )
    # Ana follows the replies to her comment and the whole thread: both match a reply to her.
    replies = world.follow("ana@x.example", comment=root)
    carl_root = world.post(carl, "I was there.", name="Carl", email="carl@x.example")
    # Carl's reply carries no address: his reader token (which left his address on his first
    # comment) still tells it is his.
    reply = world.post(carl, "Here is <script>x()</script> why.", name="Carl", parent=root)
    world.drain()
    # Bob: the root, Carl's comment and the reply. Ana: Carl's comment and the reply, one mail
    # each. Carl: Ana's root only, never his own comments.
    assert len(world.to("bob@x.example")) == 3
    [ana_about_carl, ana_about_reply] = world.to("ana@x.example")
    [carl_about_root] = world.to("carl@x.example")
    assert "Ana" in carl_about_root["Subject"]
    assert len(world.mails()) == 6
    assert ana_about_reply["Subject"] == "Carl replied under “The harbour story”"
    text = ana_about_reply.get_body(("plain",)).get_content()
    html = ana_about_reply.get_body(("html",)).get_content()
    assert f"{ARTICLE}-harbour#c-{reply.public_id}" in text
    assert "<script>" not in html and "x()" in html  # the same sanitising renderer
    # Its one-click link ends the subscription that matched most closely: the replies one.
    leave = ana_about_reply["List-Unsubscribe"].strip("<>")
    assert ana_about_reply["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    _who, subscription_id = world.subs.links.check_unsubscribe(token_of(leave), world.site.id)
    assert subscription_id == replies.id
    manage = re.search(r"https://comments\.news\.example/n/demo/manage\?token=\S+", text)
    assert manage is not None and manage.group(0) in html.replace("&amp;", "&")
    # The fan-out run again (a retry after a crash) adds no second mail.
    assert fan_out(SqlFanout(world.store.engines), reply.id, world.clock()) == 2
    world.drain()
    assert len(world.mails()) == 6
    assert carl_root.id != reply.id


def test_message_ids_thread_a_conversation_for_each_recipient(world: World) -> None:
    ana, bob = world.reader(), world.reader()
    world.follow("dora@x.example")
    root = world.post(ana, "First.", name="Ana")
    reply = world.post(bob, "Second.", name="Bob", parent=root)
    world.post(ana, "Third.", name="Ana", parent=reply)
    world.drain()
    first, second, third = world.to("dora@x.example")
    ids = [message_ids(m["Message-ID"])[0] for m in (first, second, third)]
    assert len(set(ids)) == 3
    thread_ref = message_ids(first["In-Reply-To"])[0]
    assert message_ids(first["References"]) == [thread_ref]
    assert message_ids(second["In-Reply-To"]) == [ids[0]]
    assert message_ids(second["References"]) == [thread_ref, ids[0]]
    assert message_ids(third["In-Reply-To"]) == [ids[1]]
    assert message_ids(third["References"]) == [thread_ref, ids[1]]
    assert all(i.endswith("@news.example>") for i in ids)


def test_a_held_comment_sends_nothing_until_a_moderator_approves_it_and_then_once(
    world: World,
) -> None:
    world.store.update_site(
        "demo", None, {**QUIET, "moderation": {**QUIET["moderation"], "premoderation": "all"}}
    )
    site = world.store.get_site("demo")
    assert site is not None
    world.site = site
    world.follow("dora@x.example")
    held = world.post(world.reader(), "Wait for me.", name="Ana")
    assert held.status is CommentStatus.PENDING
    world.drain()
    assert world.mails() == []
    with world.store.engines.read.connect() as conn:
        kinds = [r.kind for r in conn.execute(select(jobs.c.kind))]
    assert "notify.published" not in kinds
    staff = staff_accounts(world.store).create("mod", "a long and careful passphrase", Role.ADMIN)
    desk = ModerationDesk(world.store, clock=world.clock)
    desk.decide(staff, site, DecisionRequest(DeskAction.APPROVE, [held.public_id]))
    world.drain()
    [mail] = world.to("dora@x.example")
    assert "Ana" in mail["Subject"]
    # Rejected, then approved again: the comment's one notification was sent already.
    desk.decide(staff, site, DecisionRequest(DeskAction.REJECT, [held.public_id], Grounds.SPAM))
    desk.decide(staff, site, DecisionRequest(DeskAction.APPROVE, [held.public_id]))
    world.drain()
    assert len(world.mails()) == 1


def test_unconfirmed_and_ended_subscriptions_get_nothing(world: World) -> None:
    world.follow("pending@x.example", confirm=False)
    gone = world.follow("gone@x.example")
    world.follow("kept@x.example")
    with world.store.write() as tx:
        assert tx.end_subscription(gone.subscriber_id, gone.id, world.clock())
    world.post(world.reader(), "Hello.", name="Ana")
    world.drain()
    assert [m.rcpt_tos for m in world.mails()] == [["kept@x.example"]]
    # The unconfirmed address got its confirmation mail, and nothing else.
    assert [m.rcpt_tos for m in world.recorder.mails if m not in world.mails()] == [
        ["pending@x.example"]
    ]


def test_a_subscription_ended_after_the_fan_out_gets_nothing(world: World) -> None:
    late = world.follow("late@x.example")
    world.post(world.reader(), "Hello.", name="Ana")
    # Run the fan-out alone, then end the subscription before its mail job runs.
    with world.store.engines.read.connect() as conn:
        [comment_id] = [r.id for r in conn.execute(select(comments.c.id))]
    fan_out(SqlFanout(world.store.engines), comment_id, world.clock())
    with world.store.write() as tx:
        tx.end_subscription(late.subscriber_id, late.id, world.clock())
    world.drain()
    assert world.mails() == []


def test_an_hourly_digest_groups_two_threads_into_one_mail_at_the_hour(world: World) -> None:
    for thread in ("harbour", "bridge"):
        world.follow("eve@x.example", thread=thread, cadence=Cadence.HOURLY, language="fr")
    world.follow("dan@x.example", thread="bridge", cadence=Cadence.DAILY)
    author = world.reader()
    world.post(author, "Harbour one.", name="Ana")
    world.post(author, "Bridge one.", name="Ana", thread="bridge")
    world.post(author, "Harbour two.", name="Ana")
    world.drain()
    assert world.mails() == []
    fanout = SqlFanout(world.store.engines)
    assert fanout.pending_items() == 4  # Eve's three, Dan's one
    hour = world.clock().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    world.clock.at = hour - timedelta(seconds=1)
    world.drain()
    assert world.mails() == []
    world.clock.at = hour + timedelta(seconds=1)
    world.drain()
    [digest] = world.to("eve@x.example")
    assert world.to("dan@x.example") == []  # the daily one waits for midnight
    assert digest["Subject"] == "3 nouveaux commentaires sur Demo"
    assert digest["Content-Language"] == "fr"
    text = digest.get_body(("plain",)).get_content()
    html = digest.get_body(("html",)).get_content()
    assert text.index("The harbour story") < text.index("Harbour one.") < text.index("Harbour two.")
    assert text.index("The bridge story") < text.index("Bridge one.")
    assert text.count("The harbour story") == 1 and "Bridge one." in html
    # Two subscriptions in one mail: its one-click link stops both.
    leave = digest["List-Unsubscribe"].strip("<>")
    _who, subscription = world.subs.links.check_unsubscribe(token_of(leave), world.site.id)
    assert subscription is None
    assert fanout.pending_items() == 1  # Dan's
    world.clock.at = hour + timedelta(days=1)
    world.drain()
    [daily] = world.to("dan@x.example")
    assert daily["Subject"] == "1 new comment on Demo"
    assert fanout.pending_items() == 0 and len(world.to("eve@x.example")) == 1


def test_mails_wait_while_the_smtp_server_is_down_and_each_arrives_once(
    world: World, mailserver: Restartable
) -> None:
    for n in range(3):
        world.follow(f"r{n}@x.example")
    world.drain()  # the confirmation jobs (nothing to send: the addresses are confirmed)
    mailserver.stop()
    author = world.reader()
    world.post(author, "While the server is down.", name="Ana")
    world.post(author, "Still down.", name="Ana")
    world.drain()
    with world.store.engines.read.connect() as conn:
        waiting = conn.execute(
            select(jobs.c.attempts).where(jobs.c.kind == "notify.mail", jobs.c.state == "queued")
        ).fetchall()
    assert len(waiting) == 6 and all(r.attempts == 1 for r in waiting)
    assert world.mails() == []
    mailserver.start()  # the same port
    world.clock.advance(61)
    world.drain()
    got = [(m.rcpt_tos[0], m.message["Message-ID"]) for m in world.mails()]
    assert len(got) == 6 and len(set(got)) == 6
    assert sorted({to for to, _id in got}) == ["r0@x.example", "r1@x.example", "r2@x.example"]
    world.clock.advance(3600)
    assert world.drain() == 0
    assert len(world.mails()) == 6


def test_a_control_character_in_a_stored_name_or_title_does_not_stop_the_mail(
    world: World,
) -> None:
    world.follow("dora@x.example")
    comment = world.post(world.reader(), "Hello.", name="Ana")
    # An author name from an import or an older version: a line break, a bell, a separator.
    with world.store.write() as tx:
        tx.conn.execute(
            update(comments)
            .where(comments.c.id == comment.id)
            .values(author_name="Ana\r\nBcc: eve@x.example\x07\u2028")
        )
    world.drain()
    [mail] = world.to("dora@x.example")
    assert mail["Subject"] == "Ana Bcc: eve@x.example commented on “The harbour story”"
    assert mail["Bcc"] is None
    assert clean_name("\x00\n", "A reader") == "A reader"


def test_the_link_goes_to_rostras_thread_page_when_the_article_is_on_another_origin(
    world: World,
) -> None:
    world.follow("dora@x.example", thread="elsewhere")
    site = world.site
    world.store.update_site("demo", ["https://other.example"], None)
    refreshed = world.store.get_site("demo")
    assert refreshed is not None and refreshed.allowed_origins != site.allowed_origins
    world.site = refreshed
    comment = world.post(world.reader(), "Hello.", name="Ana", thread="elsewhere")
    world.drain()
    [mail] = world.to("dora@x.example")
    text = mail.get_body(("plain",)).get_content()
    assert f"https://comments.news.example/t/demo?thread=elsewhere#c-{comment.public_id}" in text


def test_a_mail_refused_for_good_is_dead_at_once_and_its_record_names_no_address(
    world: World,
) -> None:
    world.follow("gone.for.good@x.example")
    world.drain()
    world.recorder.refuse = "550 5.1.1 <gone.for.good@x.example>: no such mailbox"
    world.post(world.reader(), "Hello.", name="Ana")
    world.drain()
    with world.store.engines.read.connect() as conn:
        [job] = conn.execute(select(jobs).where(jobs.c.kind == "notify.mail")).fetchall()
    assert (job.state, job.attempts) == ("dead", 1)
    assert job.last_error == "SMTP server refused the mail for good"
    assert "gone.for.good" not in job.payload
    assert world.mails() == []


def test_a_thread_no_one_follows_gets_no_job_and_a_later_follower_no_old_comments(
    world: World,
) -> None:
    world.post(world.reader(), "Nobody follows this yet.", name="Ana")
    with world.store.engines.read.connect() as conn:
        assert conn.execute(select(jobs.c.kind)).fetchall() == []
    world.follow("late@x.example")
    world.post(world.reader(), "Now someone does.", name="Ana")
    world.drain()
    [mail] = world.to("late@x.example")
    assert "Now someone does." in mail.get_body(("plain",)).get_content()


def test_a_digest_leaves_out_what_ended_and_a_refused_recipient_does_not_hold_up_the_rest(
    world: World,
) -> None:
    world.follow("stays@x.example", cadence=Cadence.HOURLY)
    leaves = world.follow("leaves@x.example", cadence=Cadence.HOURLY)
    world.follow("refused@x.example", cadence=Cadence.HOURLY)
    world.drain()
    world.post(world.reader(), "For the digest.", name="Ana")
    world.drain()
    with world.store.write() as tx:
        tx.end_subscription(leaves.subscriber_id, leaves.id, world.clock())

    refusing = world.recorder.handle_RCPT

    async def refuse_one(
        server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("refused@"):
            return "550 5.1.1 no such mailbox"
        return await refusing(server, session, envelope, address, options)

    world.recorder.handle_RCPT = refuse_one  # type: ignore[method-assign]
    world.clock.advance(3600)
    world.drain()
    assert [m.rcpt_tos for m in world.mails()] == [["stays@x.example"]]
    assert SqlFanout(world.store.engines).pending_items() == 0  # nothing retried forever
    with world.store.engines.read.connect() as conn:
        states = [
            r.state
            for r in conn.execute(select(jobs.c.state).where(jobs.c.kind == "notify.digest"))
        ]
    assert states == ["done"]
