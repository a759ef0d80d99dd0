"""An endpoint Rostra disables after failures in a row tells the site's admins, on SQLite and
PostgreSQL: a real receiver that answers 500, the jobs runner on the test's clock, the mail
received by a real SMTP server (aiosmtpd on a kernel-assigned port) and parsed.

Each admin with an alert address gets one mail (text and HTML, in their language) naming the
endpoint's URL (escaped in the HTML), the last error, the failures in a row and a link to the
desk's webhooks page, with how to enable it again; an admin without an address and a
moderator get none; a mail job that fails for now is retried and sends once; the disabling's
jobs and its automated audit entry are written with it, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from rostra.app import mail_sender, register_webhook_jobs, staff_alerts_service
from rostra.config import Settings, load_settings
from rostra.domain.desk import Role, StaffAccount
from rostra.domain.models import Author, Site
from rostra.domain.webhooks import Actor, Endpoint
from rostra.jobs.registry import JobHandlers
from rostra.jobs.retry import RetryPolicy
from rostra.jobs.runner import Runner, RunnerSettings
from rostra.notify.mail import MailDeliveryError
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.services.webhooks import NOTICE_JOB, Webhooks, notice_job
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.repository import SqlStore
from rostra.storage.tables import audit_log, jobs
from rostra.storage.webhooks import SqlWebhookStore
from tests.conftest import SECRET
from tests.helpers import MovingClock, staff_accounts
from tests.notify.conftest import Recorder, serve
from tests.webhooks.receiver import Behaviour, Receiver, receiving

FROM = '"The Courier" <comments@news.example>'
ROOT = "https://comments.news.example"
ACTOR = Actor(None, "tester (command line)")


@dataclass
class World:
    store: SqlStore
    site: Site
    settings: Settings
    clock: MovingClock
    runner: Runner
    recorder: Recorder
    hooks: Webhooks
    talk: Discussion
    sends: list[str]

    def drain(self) -> int:
        ran = 0
        while n := self.runner.run_batch():
            ran += n
        return ran

    def later(self) -> int:
        """Past any backoff the retry policy can choose, then every job due."""
        self.clock.advance(61)
        return self.drain()

    def to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.recorder.mails if m.rcpt_tos == [address]]

    def post(self, body: str) -> None:
        request = PostRequest("t1", body, author_name="Ines", url="https://news.example/a")
        self.talk.post(self.site, request, Author(reader_key="reader-of-the-test"))

    def staff(self, name: str, role: Role, email: str = "", language: str = "") -> StaffAccount:
        account = staff_accounts(self.store).create(
            name, "a long and careful passphrase", role, [self.site.id], name.title()
        )
        if email:
            alerts = staff_alerts_service(self.settings, self.store.engines, clock=self.clock)
            alerts.change(account, email, "immediate", language)
        return account

    def current(self, endpoint: Endpoint) -> Endpoint:
        return self.hooks.get(self.site, endpoint.id)

    def notice_jobs(self) -> list[Any]:
        with self.store.engines.read.connect() as conn:
            rows = conn.execute(select(jobs).where(jobs.c.kind == NOTICE_JOB).order_by(jobs.c.id))
            return list(rows)


@pytest.fixture
def world(store: SqlStore) -> Iterator[World]:
    recorder = Recorder()
    controller = serve(recorder)
    settings = load_settings(
        env={},
        secret_key=SECRET,
        smtp_url=f"smtp://127.0.0.1:{controller.port}",
        mail_from=FROM,
        public_url=ROOT,
        webhook_allow_private_addresses=True,
        webhook_disable_after=2,
        webhook_timeout_seconds=2,
    )
    clock = MovingClock()
    site = store.create_site("news", "News & Views", [], {})
    real = mail_sender(settings)
    sends: list[str] = []

    def flaky(message: EmailMessage) -> None:
        # The first mail meets an SMTP server that refuses for now; the rest go through.
        sends.append(str(message["To"]))
        if len(sends) == 1:
            raise MailDeliveryError("421 try again later", temporary=True)
        real(message)

    handlers = JobHandlers()
    register_webhook_jobs(handlers, settings, store, clock=clock, send=flaky)
    runner = Runner(
        SqlJobQueue(store.engines),
        handlers,
        RunnerSettings(retry=RetryPolicy(base_seconds=10, max_seconds=60, max_attempts=5)),
        clock=clock,
    )
    hooks = Webhooks(SqlWebhookStore(store.engines), allow_private=True, clock=clock)
    talk = Discussion(store, ReaderTokens(Signer(SECRET)), clock=clock)
    yield World(store, site, settings, clock, runner, recorder, hooks, talk, sends)
    controller.stop()


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def disable(world: World, receiver: Receiver, path: str = "/hook") -> Endpoint:
    """An endpoint on ``receiver`` that answers 500, failed twice: disabled."""
    receiver.behaviour = Behaviour(statuses=[500])
    url = f"http://127.0.0.1:{receiver.port}{path}"
    endpoint = world.hooks.add(world.site, url, ["comment.published"], ACTOR)
    world.post("First.")
    world.post("Second.")
    world.drain()
    gone = world.current(endpoint)
    assert not gone.enabled and gone.consecutive_failures == 2
    assert gone.disabled_reason == "HTTP 500" and gone.disabled_at is not None
    return gone


def test_each_admin_with_an_address_is_mailed_once_and_no_one_else(world: World) -> None:
    boss = world.staff("boss", Role.ADMIN, "boss@desk.example")
    chef = world.staff("chef", Role.ADMIN, "chef@desk.example", language="fr")
    world.staff("quiet", Role.ADMIN)  # no alert address
    world.staff("mod", Role.MODERATOR, "mod@desk.example")
    with receiving() as receiver:
        gone = disable(world, receiver, "/hook?site=news&tag=<b>")
        assert len(receiver.received) == 2
    # One job per admin with an address, written with the disabling.
    keys = [j.idempotency_key.split(":") for j in world.notice_jobs()]
    assert sorted(int(k[2]) for k in keys) == sorted([boss.id, chef.id])
    assert {k[1] for k in keys} == {str(gone.id)}
    # The first try met an SMTP server that refused for now: its retry sends it, once.
    assert len(world.recorder.mails) == 1
    world.later()
    world.later()
    assert sorted(m.rcpt_tos[0] for m in world.recorder.mails) == [
        "boss@desk.example",
        "chef@desk.example",
    ]
    assert len(world.sends) == 3  # one refused for now, then each admin's mail once
    [mail] = world.to("boss@desk.example")
    assert mail["Subject"] == "News & Views: a webhook endpoint was disabled"
    assert mail["Content-Language"] == "en"
    page = f"{ROOT}/moderation/news/webhooks"
    text = text_of(mail)
    assert gone.url in text and "Last error: HTTP 500" in text
    assert "after 2 failed deliveries in a row" in text
    assert page in text and f"rostra webhook enable news {gone.id}" in text
    html = html_of(mail)
    assert f'href="{page}"' in html
    assert "/hook?site=news&amp;tag=&lt;b&gt;" in html and "<b>" not in html
    [french] = world.to("chef@desk.example")
    assert french["Content-Language"] == "fr"
    assert french["Subject"] == "News & Views : un point de réception des webhooks a été désactivé"
    assert "Dernière erreur : HTTP 500" in text_of(french)
    # Nobody else: the admin without an address, the moderator.
    assert world.to("mod@desk.example") == []
    # The same disabling cannot enqueue its mails again, and running everything again sends
    # nothing more.
    assert gone.disabled_at is not None
    again = notice_job(gone.id, world.site.id, boss.id, gone.disabled_at)
    assert not SqlWebhookStore(world.store.engines).enqueue(again, world.clock())
    world.later()
    assert len(world.recorder.mails) == 2
    # The automated audit entry, once, with the count and the last error, never the secret.
    with world.store.engines.read.connect() as conn:
        rows = list(conn.execute(select(audit_log).where(audit_log.c.site_id == world.site.id)))
    auto = [r for r in rows if r.action == "webhook_auto_disable"]
    assert len(auto) == 1 and auto[0].actor_id is None and auto[0].actor_name == "rostra"
    assert '"failures": 2' in auto[0].detail and '"last_error": "HTTP 500"' in auto[0].detail
    assert all(gone.secret not in r.detail for r in rows)


def test_an_endpoint_enabled_before_the_mail_goes_sends_none(world: World) -> None:
    world.staff("boss", Role.ADMIN, "boss@desk.example")
    world.sends.append("the flaky first send is spent")
    receiver = Receiver().start()
    receiver.behaviour = Behaviour(statuses=[500])
    try:
        endpoint = world.hooks.add(world.site, receiver.url, ["comment.published"], ACTOR)
        world.post("First.")
        world.post("Second.")
        # Both deliveries fail in one batch; the admin enables it again before the mail job.
        world.runner.run_batch()
        assert not world.current(endpoint).enabled
        again = world.hooks.set_enabled(world.site, endpoint.id, True, ACTOR)
        assert again.enabled and again.consecutive_failures == 0 and again.disabled_at is None
        world.drain()
    finally:
        receiver.stop()
    assert len(world.notice_jobs()) == 1 and world.recorder.mails == []


def test_without_a_mail_server_the_notice_ends_quietly(store: SqlStore) -> None:
    settings = load_settings(
        env={}, secret_key=SECRET, webhook_allow_private_addresses=True, webhook_disable_after=2
    )
    sent: list[EmailMessage] = []
    handlers = JobHandlers()
    register_webhook_jobs(handlers, settings, store, send=sent.append)
    site = store.create_site("news", "News", [], {})
    boss = staff_accounts(store).create("boss", "a long and careful passphrase", Role.ADMIN, [])
    # An address saved while a mail server was set; the server has none now.
    with_smtp = load_settings(env={}, secret_key=SECRET, smtp_url="smtp://127.0.0.1:9")
    staff_alerts_service(with_smtp, store.engines).change(boss, "boss@desk.example", "immediate")
    hooks = Webhooks(SqlWebhookStore(store.engines), allow_private=True)
    talk = Discussion(store, ReaderTokens(Signer(SECRET)))
    runner = Runner(SqlJobQueue(store.engines), handlers)
    with receiving() as receiver:
        receiver.behaviour = Behaviour(statuses=[500])
        hooks.add(site, receiver.url, ["comment.published"], ACTOR)
        for body in ("First.", "Second."):
            talk.post(site, PostRequest("t1", body), Author(reader_key="reader-of-the-test"))
        runner.run_batch()
        runner.run_batch()
    with store.engines.read.connect() as conn:
        states = list(conn.execute(select(jobs.c.state).where(jobs.c.kind == NOTICE_JOB)))
    assert [s.state for s in states] == ["done"] and sent == []
