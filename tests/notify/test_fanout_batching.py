"""What the fan-out shares between the mails of one comment, and what it must not share.

Each mail is rendered as SMTP bytes by rostra.notify.message.render, not by the email package:
read back, it says exactly what ``compose``'s message says (every header, both parts) for mails
of every shape, and keeps to SMTP's line rules. Two recipients of one comment get their own To,
Message-ID, threading ids, one-click unsubscribe and manage links, in the headers and in both
parts (a real SMTP server, both databases). The recipients' live subscriptions are read once
for a fan-out's mails (by the fan-out itself, or by the first mail when it ran elsewhere), kept
briefly, and read again after; a subscription confirmed since the read (a fan-out run again) is
read alone and gets its mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from rostra.app import register_notification_jobs, register_notify_jobs, subscription_service
from rostra.config import load_settings
from rostra.domain.models import Author, Comment, Site
from rostra.domain.subscriptions import NotifyChoice, Subscription
from rostra.jobs.registry import JobHandlers
from rostra.jobs.runner import Runner
from rostra.notify import fanout as fanout_module
from rostra.notify.content import CommentNotice, comment_mail
from rostra.notify.fanout import Notifier, fan_out
from rostra.notify.mail import PooledSender, SmtpSender
from rostra.notify.message import Mail, compose, render
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.subscriptions import Subscriptions
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.fanout import SqlFanout
from rostra.storage.repository import SqlStore
from tests.conftest import SECRET
from tests.helpers import QUIET, reader_author
from tests.notify.conftest import FROM, Clock, Restartable, SmtpServer, drain, jobs_runner

ARTICLE = "https://news.example/2026/12/harbour"
SETTINGS = load_settings(env={}, secret_key=SECRET, mail_from=FROM)
LINK = "https://comments.news.example/n/demo/unsubscribe?token=" + "Ab-_9" * 30
BASE = Mail(
    sender=FROM,
    to="reader@example.org",
    subject="Carl replied under “The harbour story”",
    text="Carl wrote:\n\nA short line.\n",
    key="notify.mail:7:9",
    html="<p>Carl wrote:</p>\n<p>A short line.</p>\n",
    in_reply_to="<0123456789abcdef0123456789abcdef01234567@news.example>",
    references=(
        "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@news.example>",
        "<0123456789abcdef0123456789abcdef01234567@news.example>",
    ),
    unsubscribe_url=LINK,
)
NOTICE = CommentNotice(
    site_name="Le Courrier",
    article_title="Le pont <b>rouvre</b> « enfin »",
    author_name="Zoë",
    body="I *walked* across it.\n\n.\nFrom here, a line that ends in spaces   \n\ttabbed "
    + "é" * 120,
    url="https://news.example/bridge#c-42",
)
SHAPES = {
    "ascii, short lines": BASE,
    "a long link and non-ASCII text": replace(
        BASE, text=f"Zoë wrote: “yes”\n\nStop these mails: {LINK}\n", html=f'<a href="{LINK}">x</a>'
    ),
    "text only": replace(BASE, html=None, unsubscribe_url=None, in_reply_to=None, references=()),
    "a named, non-ASCII recipient": replace(BASE, to_name="Zoë « Z » Reader", language="fr"),
    "CR, CRLF and a lone dot": replace(BASE, text="one\r\ntwo\rthree\n.\n..\n", html="a\r\nb"),
    "a long subject": replace(BASE, subject="Un très long titre " * 20),
    "a comment mail in French": comment_mail(
        SETTINGS,
        NOTICE,
        to="lecteur@example.org",
        to_name="Lecteur",
        key="k",
        language="fr",
        unsubscribe_url=LINK,
    ),
}


def read_back(data: bytes) -> EmailMessage:
    parsed: EmailMessage = message_from_bytes(data, _class=EmailMessage, policy=default)
    return parsed


def lines(text: str) -> str:
    return text.replace("\r\n", "\n")


def same_message(got: EmailMessage, want: EmailMessage) -> None:
    assert [k for k in got if k != "MIME-Version"] == [k for k in want if k != "MIME-Version"]
    for name in want:
        if name == "Content-Type":
            assert got.get_content_type() == want.get_content_type()
            assert got.get_param("charset") == want.get_param("charset")
        elif name == "References":
            assert str(got[name]).split() == str(want[name]).split()
        else:
            assert str(got[name]) == str(want[name]), name
    for subtype in ("plain", "html"):
        mine, theirs = got.get_body((subtype,)), want.get_body((subtype,))
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            # Line ends as MIME's canonical text has them (the email package's base64 parts
            # carry bare LFs inside).
            assert lines(mine.get_content()) == lines(theirs.get_content())
            assert mine.get_content_type() == theirs.get_content_type()


@pytest.mark.parametrize("mail", SHAPES.values(), ids=SHAPES.keys())
def test_rendered_bytes_say_what_compose_says_and_keep_to_smtp_lines(mail: Mail) -> None:
    data = render(mail).data
    # The email package's own bytes, the Date fixed so both carry the same.
    want = read_back(compose(mail).as_bytes(policy=SMTP))
    got = read_back(data)
    assert got["Date"] is not None
    want.replace_header("Date", str(got["Date"]))
    same_message(got, want)
    assert data.isascii()  # encoded words and quoted-printable: nothing needs 8BITMIME
    assert b"\n" not in data.replace(b"\r\n", b"") and b"\r" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    # One-click unsubscribing reads the header as it is (no encoded words in it).
    if mail.unsubscribe_url:
        assert f"\r\nList-Unsubscribe: <{mail.unsubscribe_url}>\r\n".encode() in data


def test_rendered_bytes_go_over_smtp_on_a_kept_session(smtp: SmtpServer) -> None:
    pool = PooledSender(lambda: SmtpSender.from_settings(replace(SETTINGS, smtp_url=smtp.url)))
    mails = [replace(BASE, to=f"r{n}@example.org", key=f"k{n}") for n in range(3)]
    for mail in mails:
        pool.send(render(mail))
    pool.close()
    got = smtp.recorder.wait_for(3)
    assert [m.rcpt_tos for m in got] == [[f"r{n}@example.org"] for n in range(3)]
    assert {m.mail_from for m in got} == {"comments@news.example"}
    for received, mail in zip(got, mails, strict=True):
        want = read_back(compose(mail).as_bytes(policy=SMTP))
        want.replace_header("Date", str(received.message["Date"]))
        same_message(received.message, want)


# -- a fan-out, end to end -----------------------------------------------------------------------


@dataclass
class Fanout:
    store: SqlStore
    site: Site
    subs: Subscriptions
    discussion: Discussion
    runner: Runner
    notifier: Notifier
    server: Restartable
    clock: Clock
    tokens: ReaderTokens

    def follow(self, address: str, comment: Comment | None = None) -> Subscription:
        choice = NotifyChoice.REPLIES if comment else NotifyChoice.THREAD
        wish = self.subs.wish(self.site, choice, address)
        assert wish is not None
        now = self.clock()
        with self.store.write() as tx:
            thread = tx.get_or_create_thread(
                self.site.id, "harbour", ARTICLE, "The harbour story", now, True
            )
            assert thread is not None
            subscription = self.subs.record(tx, wish, thread, comment, now, counted=True)
            nonce = tx.confirm_nonce(subscription.subscriber_id)
            if nonce is not None:
                tx.confirm_subscriber(subscription.subscriber_id, nonce, now)
        return subscription

    def author(self) -> Author:
        return reader_author(self.tokens, self.site.id)

    def post(self, body: str, parent: Comment | None = None) -> Comment:
        request = PostRequest(
            "harbour",
            body,
            "Ana",
            parent_public_id=parent.public_id if parent else None,
            url=ARTICLE,
            title="The harbour story",
        )
        return self.discussion.post(self.site, request, self.author())

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [
            m.message
            for m in self.server.recorder.mails
            if m.rcpt_tos == [address] and "Confirm" not in str(m.message["Subject"])
        ]


@pytest.fixture
def world(store: SqlStore, mailserver: Restartable) -> Iterator[Fanout]:
    site = store.create_site("demo", "Demo", ["https://news.example"], QUIET)
    settings = load_settings(
        env={},
        secret_key=SECRET,
        smtp_url=mailserver.url,
        mail_from=FROM,
        public_url="https://comments.news.example",
    )
    clock = Clock()
    tokens = ReaderTokens(Signer(SECRET))
    subs = subscription_service(settings, store, clock=clock)
    discussion = Discussion(store, tokens, clock=clock, subscriptions=subs)
    handlers = JobHandlers()
    notifier = register_notification_jobs(handlers, settings, store, subs, clock=clock)
    assert notifier is not None
    register_notify_jobs(handlers, settings, store)
    runner = jobs_runner(store, handlers, clock)
    yield Fanout(store, site, subs, discussion, runner, notifier, mailserver, clock, tokens)
    notifier.close()


def part(mail: EmailMessage, subtype: str) -> str:
    found = mail.get_body((subtype,))
    assert found is not None
    text: str = found.get_content()
    return text


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def manage_links(text: str) -> list[str]:
    return re.findall(r"https://comments\.news\.example/n/demo/manage\?token=[^\s\"<]+", text)


def test_two_recipients_of_one_comment_each_get_their_own_headers_and_links(
    world: Fanout,
) -> None:
    root = world.post("The first comment.")
    subscriptions = {a: world.follow(a) for a in ("ana@x.example", "bob@x.example")}
    drain(world.runner)
    world.post("A reply to it.", parent=root)
    drain(world.runner)
    seen: dict[str, set[str]] = {"id": set(), "reply": set(), "leave": set(), "manage": set()}
    for address, subscription in subscriptions.items():
        [mail] = world.mails_to(address)
        assert mail["To"].addresses[0].addr_spec == address and len(mail["To"].addresses) == 1
        leave = mail["List-Unsubscribe"].strip("<>")
        who, subscription_id = world.subs.links.check_unsubscribe(token_of(leave), world.site.id)
        assert (who, subscription_id) == (subscription.subscriber_id, subscription.id)
        text, html = part(mail, "plain"), part(mail, "html").replace("&amp;", "&")
        assert leave in text and leave in html
        [manage] = manage_links(text)
        assert manage_links(html) == [manage]
        seen["id"].add(mail["Message-ID"])
        seen["reply"].add(mail["In-Reply-To"])
        seen["leave"].add(leave)
        seen["manage"].add(manage)
    assert {name: len(values) for name, values in seen.items()} == dict.fromkeys(seen, 2)


def test_the_recipients_are_read_once_for_a_fan_out_and_again_once_kept_too_long(
    world: Fanout, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    for name in ("live", "live_mails"):
        original = getattr(SqlFanout, name)

        def counted(self: SqlFanout, *args: Any, _name: str = name, _f: Any = original) -> Any:
            reads.append(_name)
            return _f(self, *args)

        monkeypatch.setattr(SqlFanout, name, counted)
    addresses = [f"r{n}@x.example" for n in range(5)]
    for address in addresses:
        world.follow(address)
    drain(world.runner)
    world.post("For five readers.")
    drain(world.runner)
    assert sorted(a for a in addresses if len(world.mails_to(a)) == 1) == addresses
    assert reads == []  # the fan-out's own read served its mails
    # Kept no time at all, and a fan-out run elsewhere: each mail reads again, and one who left
    # meanwhile gets nothing.
    monkeypatch.setattr(fanout_module, "KEEP_SECONDS", 0.0)
    reads.clear()
    stays, leaves = world.follow("stays@x.example"), world.follow("leaves@x.example")
    comment = world.post("For two more.")
    fan_out(SqlFanout(world.store.engines), comment.id, world.clock())
    world.notifier.handle_mail(job(comment, stays))
    with world.store.write() as tx:
        assert tx.end_subscription(leaves.subscriber_id, leaves.id, world.clock())
    world.notifier.handle_mail(job(comment, leaves))
    assert len(world.mails_to("stays@x.example")) == 1
    assert world.mails_to("leaves@x.example") == []
    # The second read no longer finds the one who left, who is then read alone.
    assert reads == ["live_mails", "live_mails", "live"]


def test_a_follower_confirmed_after_the_read_is_read_alone_and_mailed(world: Fanout) -> None:
    world.follow("first@x.example")
    comment = world.post("Hello.")
    drain(world.runner)  # the fan-out, and first's mail: it reads (and keeps) the recipients
    world.follow("late@x.example")
    # The fan-out run again (a retry) finds the new follower, whose mail job is then run.
    assert fan_out(SqlFanout(world.store.engines), comment.id, world.clock()) == 2
    drain(world.runner)
    assert len(world.mails_to("first@x.example")) == 1  # its job's key: no second mail
    [late] = world.mails_to("late@x.example")
    assert "Hello." in part(late, "plain")


def job(comment: Comment, subscription: Subscription) -> Any:
    return SimpleNamespace(payload={"comment": comment.id, "subscription": subscription.id})
