"""Moderator alerts end to end on both databases: comments held through the services, reports
through the reports service, the jobs run by the jobs runner on the test's clock, the mails
received by a real SMTP server (aiosmtpd on a kernel-assigned port) and parsed.

An immediate moderator gets one mail for a held comment; a burst gives one mail in the
coalescing window and one more when it ends; an hourly digest lists the counts at the hour; a
moderator of another site, or with alerts off, gets nothing; the report that sends a comment to
the reported queue alerts once; mails are in the account's language, else the site's.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rostra.app import register_alert_jobs, staff_alerts_service
from rostra.cli import main
from rostra.config import Settings, load_settings
from rostra.domain.desk import DeskAction, Role, StaffAccount
from rostra.domain.models import Author, Comment, CommentStatus, Site
from rostra.jobs.registry import JobHandlers
from rostra.jobs.runner import Runner
from rostra.moderation.moderator import PipelineModerator
from rostra.services.desk import DecisionRequest, ModerationDesk
from rostra.services.desk_alerts import StaffAlerts
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.reports import ReaderReports
from rostra.services.sealed_addresses import AddressBox
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.moderation import SqlModerationState
from rostra.storage.repository import SqlStore
from rostra.storage.tables import jobs, staff_alert_items, staff_alerts
from tests.conftest import SECRET
from tests.helpers import QUIET, reader_author, staff_accounts
from tests.notify.conftest import FROM, Clock, Recorder, Restartable, drain, jobs_runner

NEW_SECRET = "the-new-secret-key-after-rotation-0123456789"
HELD = {**QUIET, "moderation": {**QUIET["moderation"], "premoderation": "all"}}


@dataclass
class World:
    store: SqlStore
    site: Site
    other: Site
    settings: Settings
    clock: Clock
    discussion: Discussion
    reports: ReaderReports
    runner: Runner
    recorder: Recorder
    tokens: ReaderTokens
    alerts: StaffAlerts

    def drain(self) -> int:
        return drain(self.runner)

    def to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.recorder.mails if m.rcpt_tos == [address]]

    def reader(self, site: Site | None = None) -> Author:
        return reader_author(self.tokens, (site or self.site).id)

    def post(
        self, body: str, site: Site | None = None, name: str = "Ana", author: Author | None = None
    ) -> Comment:
        request = PostRequest(
            thread_external_id="harbour",
            body=body,
            author_name=name,
            url="https://news.example/harbour",
            title="The harbour story",
        )
        return self.discussion.post(site or self.site, request, author or self.reader(site))

    def staff(
        self,
        name: str,
        cadence: str,
        *,
        role: Role = Role.MODERATOR,
        sites: tuple[Site, ...] | None = None,
        language: str = "",
    ) -> StaffAccount:
        chosen = (self.site,) if sites is None else sites
        account = staff_accounts(self.store).create(
            name, "a long and careful passphrase", role, [s.id for s in chosen]
        )
        self.alerts.change(account, f"{name}@desk.example", cadence, language)
        return account


def build(
    store: SqlStore,
    mailserver: Restartable,
    sites: tuple[Site, Site],
    clock: Clock,
    secret: str = SECRET,
    smtp_url: str | None = None,
) -> World:
    """The services and the jobs runner over ``store``, under ``secret``."""
    settings = load_settings(
        env={},
        secret_key=secret,
        smtp_url=mailserver.url if smtp_url is None else smtp_url,
        mail_from=FROM,
        public_url="https://comments.news.example",
        desk_alert_minutes=10,
    )
    tokens = ReaderTokens(Signer(secret))
    moderator = PipelineModerator(SqlModerationState(store.engines), address_key=b"k" * 32)
    discussion = Discussion(store, tokens, moderator=moderator, clock=clock)
    handlers = JobHandlers()
    register_alert_jobs(handlers, settings, store, clock=clock)
    return World(
        store,
        *sites,
        settings,
        clock,
        discussion,
        ReaderReports(store, clock=clock),
        jobs_runner(store, handlers, clock),
        mailserver.recorder,
        tokens,
        staff_alerts_service(settings, store.engines, clock=clock),
    )


@pytest.fixture
def world(store: SqlStore, mailserver: Restartable) -> World:
    site = store.create_site("demo", "Demo", ["https://news.example"], HELD)
    other = store.create_site("other", "Other", ["https://other.example"], HELD)
    return build(store, mailserver, (site, other), Clock())


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_a_held_comment_alerts_an_immediate_moderator_once_and_no_one_else(world: World) -> None:
    world.staff("mod", "immediate")
    world.staff("quiet", "off")
    world.staff("later", "hourly")
    world.staff("elsewhere", "immediate", sites=(world.other,))
    held = world.post("Wait for the **desk**.")
    assert held.status is CommentStatus.PENDING
    world.drain()
    [mail] = world.to("mod@desk.example")
    assert mail["Subject"] == "Demo: 1 held, 0 reported"
    text = text_of(mail)
    root = "https://comments.news.example/moderation/demo"
    assert f"{root}/queue/pending" in text
    assert f"Published comments to review: 0 — {root}/queue/review" in text
    assert f"{root}/comments/{held.public_id}" in text
    assert f'href="{root}/comments/{held.public_id}"' in html_of(mail)
    # Alerts off, an hourly digest not yet due, another site's moderator: nothing.
    assert [m.rcpt_tos for m in world.recorder.mails] == [["mod@desk.example"]]
    # Run again (a retry after a crash): the item was sent and is gone, no second mail.
    world.clock.advance(3600 * 2 - 60)  # the hourly digest falls due meanwhile
    world.drain()
    assert len(world.to("mod@desk.example")) == 1
    assert len(world.to("later@desk.example")) == 1
    assert world.to("quiet@desk.example") == [] and world.to("elsewhere@desk.example") == []


def test_a_burst_gives_one_mail_in_the_window_and_one_more_when_it_ends(world: World) -> None:
    world.staff("mod", "immediate")
    first = world.post("The first of many.")
    world.drain()
    assert len(world.to("mod@desk.example")) == 1
    for n in range(30):
        world.post(f"Comment number {n} of the flood.")
        world.clock.advance(5)
    world.drain()
    # Thirty held comments within the window: no mail until it ends.
    assert len(world.to("mod@desk.example")) == 1
    with world.store.engines.read.connect() as conn:
        waiting = conn.execute(
            select(func.count())
            .select_from(jobs)
            .where(jobs.c.kind == "desk.alert.send", jobs.c.state == "queued")
        ).scalar()
    assert waiting == 1  # one job at the window's end, however many events
    world.clock.advance(600)
    world.drain()
    [_one, second] = world.to("mod@desk.example")
    assert second["Subject"] == "Demo: 31 held, 0 reported"
    text = text_of(second)
    assert "flood" in text and first.public_id not in text
    world.clock.advance(3600)
    world.drain()
    assert len(world.to("mod@desk.example")) == 2


def test_the_hourly_digest_lists_the_counts_at_the_hour_in_the_accounts_language(
    world: World,
) -> None:
    world.staff("mod", "hourly", language="fr")
    comments = [world.post(f"Retenu numéro {n}.") for n in range(3)]
    world.drain()
    assert world.recorder.mails == []
    now = world.clock()
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    world.clock.at = hour - timedelta(seconds=1)
    world.drain()
    assert world.recorder.mails == []  # not before the hour
    world.clock.at = hour
    world.drain()
    [mail] = world.to("mod@desk.example")
    assert mail["Subject"] == "Demo : 3 retenus, 0 signalés"
    text = text_of(mail)
    assert "Votre résumé horaire" in text
    for c in comments:
        assert c.public_id in text
    world.clock.advance(3600)
    world.drain()
    assert len(world.recorder.mails) == 1


def test_the_report_that_sends_a_comment_to_the_reported_queue_alerts_once(
    store: SqlStore, world: World
) -> None:
    settings = {**QUIET, "moderation": {**QUIET["moderation"], "reports": {"threshold": 2}}}
    site = store.update_site("other", None, settings)
    world.staff("mod", "immediate", sites=(site,))
    comment = world.post("A published comment.", site=site)
    assert comment.status is CommentStatus.PUBLISHED
    world.reports.report(site, comment.public_id, "abuse", "", world.reader(site))
    world.drain()
    assert world.recorder.mails == []  # one report: not in the queue yet
    world.reports.report(site, comment.public_id, "abuse", "", world.reader(site))
    world.reports.report(site, comment.public_id, "spam", "", world.reader(site))
    world.drain()
    [mail] = world.to("mod@desk.example")
    assert mail["Subject"] == "Other: 0 held, 1 reported"
    assert f"/moderation/other/comments/{comment.public_id}" in text_of(mail)
    world.clock.advance(3600)
    world.drain()
    assert len(world.recorder.mails) == 1


def test_the_address_is_sealed_and_bad_choices_write_nothing(world: World) -> None:
    account = world.staff("mod", "daily")
    with world.store.engines.read.connect() as conn:
        row = conn.execute(select(staff_alerts)).one()
    assert "mod@desk.example" not in str(tuple(row))
    assert world.alerts.view(account).address == "mod@desk.example"
    from rostra.domain.errors import InvalidInput

    for email, cadence in [
        ("a@b.example\r\nBcc: x@y.example", "immediate"),
        ("x" * 250 + "@b.example", "immediate"),
        ("", "immediate"),
        ("a@b.example", "weekly"),
    ]:
        with pytest.raises(InvalidInput):
            world.alerts.change(account, email, cadence)
    with world.store.engines.read.connect() as conn:
        assert conn.execute(select(staff_alerts)).one() == row


def alert_jobs(store: SqlStore) -> int:
    with store.engines.read.connect() as conn:
        found = conn.execute(
            select(func.count()).select_from(jobs).where(jobs.c.kind == "desk.alert")
        ).scalar()
    return int(found or 0)


def test_no_alert_job_while_nobody_of_the_site_wants_alerts(world: World) -> None:
    world.staff("quiet", "off")
    elsewhere = world.staff("elsewhere", "immediate", sites=(world.other,))
    held = world.post("Nobody here is listening.")
    assert held.status is CommentStatus.PENDING
    assert alert_jobs(world.store) == 0
    # An admin of no site in particular moderates them all: the next held comment has its job.
    chief = world.staff("chief", "daily", role=Role.ADMIN, sites=())
    world.post("Now someone is.")
    assert alert_jobs(world.store) == 1
    # The report that sends a comment to the reported queue, likewise only with someone to tell.
    other = world.store.update_site(
        "other", None, {**QUIET, "moderation": {**QUIET["moderation"], "reports": {"threshold": 1}}}
    )
    published = world.post("Published on the other site.", site=other)
    for account in (chief, elsewhere):
        world.alerts.change(account, "", "off")
    world.reports.report(other, published.public_id, "abuse", "", world.reader(other))
    assert alert_jobs(world.store) == 1


def test_a_comment_back_in_a_queue_alerts_again(world: World) -> None:
    world.staff("mod", "immediate")
    admin = staff_accounts(world.store).create("boss", "a long and careful passphrase", Role.ADMIN)
    desk = ModerationDesk(world.store, clock=world.clock)
    author = world.reader()
    held = world.post("First version.", author=author)
    world.drain()
    assert len(world.to("mod@desk.example")) == 1
    desk.decide(admin, world.site, DecisionRequest(DeskAction.APPROVE, [held.public_id]))
    world.clock.advance(30)
    # Approved, then edited: held again on edit, back in the pending queue.
    edited = world.discussion.edit(world.site, held.public_id, "Second version.", author)
    assert edited.status is CommentStatus.PENDING
    world.clock.advance(600)  # the coalescing window of the first mail is over
    world.drain()
    [_first, again] = world.to("mod@desk.example")
    assert again["Subject"] == "Demo: 1 held, 0 reported"
    assert held.public_id in text_of(again)


def test_a_comment_reported_again_after_its_reports_were_cleared_alerts_again(
    store: SqlStore, world: World
) -> None:
    settings = {**QUIET, "moderation": {**QUIET["moderation"], "reports": {"threshold": 1}}}
    site = store.update_site("other", None, settings)
    world.staff("mod", "immediate", sites=(site,))
    admin = staff_accounts(world.store).create("boss", "a long and careful passphrase", Role.ADMIN)
    comment = world.post("A published comment.", site=site)
    world.reports.report(site, comment.public_id, "abuse", "", world.reader(site))
    world.drain()
    assert len(world.to("mod@desk.example")) == 1
    desk = ModerationDesk(world.store, clock=world.clock)
    desk.decide(admin, site, DecisionRequest(DeskAction.APPROVE, [comment.public_id]))
    world.clock.advance(600)
    world.reports.report(site, comment.public_id, "spam", "", world.reader(site))
    world.drain()
    [_first, again] = world.to("mod@desk.example")
    assert again["Subject"] == "Other: 0 held, 1 reported"


def test_after_key_rotation_alerts_still_arrive_without_the_old_secret(
    store: SqlStore,
    db_url: str,
    mailserver: Restartable,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = world.staff("mod", "immediate")
    with store.engines.read.connect() as conn:
        before = conn.execute(select(staff_alerts)).one()
    old_file = tmp_path / "old-secret"
    old_file.write_text(SECRET + "\n", encoding="utf-8")
    monkeypatch.setenv("ROSTRA_SECRET_KEY", NEW_SECRET)
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            ["keys", "rotate-email", "--old-secret-file", str(old_file), "--database-url", db_url]
        )
    assert code == 0
    assert out.getvalue().startswith("re-sealed 1 address(es) under the current secret_key;")
    with store.engines.read.connect() as conn:
        after = conn.execute(select(staff_alerts)).one()
    assert after.address != before.address and after.email_hash != before.email_hash
    with pytest.raises(ValueError):
        AddressBox(SECRET).open(after.address, -account.id)
    # Everything now runs under the new secret alone.
    rotated = build(store, mailserver, (world.site, world.other), world.clock, NEW_SECRET)
    assert rotated.alerts.view(account).address == "mod@desk.example"
    assert after.email_hash == rotated.tokens.email_hash("mod@desk.example")
    held = rotated.post("Held after the rotation.")
    rotated.drain()
    [mail] = rotated.to("mod@desk.example")
    assert held.public_id in text_of(mail)


def test_without_a_mail_server_a_choice_saved_earlier_queues_no_mail(
    store: SqlStore, mailserver: Restartable, world: World
) -> None:
    world.staff("mod", "immediate")  # saved while a mail server was set
    unmailed = build(store, mailserver, (world.site, world.other), world.clock, smtp_url="")
    unmailed.post("Held with no mail server.")
    assert unmailed.drain() == 1  # the desk.alert job, which ends at once
    with store.engines.read.connect() as conn:
        states = conn.execute(select(jobs.c.kind, jobs.c.state)).all()
        items = conn.execute(select(func.count()).select_from(staff_alert_items)).scalar()
    assert [tuple(r) for r in states] == [("desk.alert", "done")]
    assert items == 0 and world.recorder.mails == []
