"""The double opt-in end to end, on both databases: a comment asks for notifications, the app's
own job runner sends the one confirmation mail to a real SMTP server (aiosmtpd on a kernel
port), and its link, followed, confirms the address — with a second request the same day adding
no second mail, and the mail in the reader's language with List-Unsubscribe that works in one
click."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from rostra.jobs.registry import JobHandlers
from rostra.jobs.runner import Runner, RunnerSettings
from rostra.notify.subscription_mail import register
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.tables import jobs, subscriptions
from tests.conftest import HOST_ORIGIN, IN_PROCESS_URL, LiveServer
from tests.helpers import API, QUIET, posted
from tests.notify.conftest import SmtpServer

pytestmark = pytest.mark.in_process

ADDRESS = "ines.moreau@news.example"


@pytest.fixture
def settings_overrides(smtp: SmtpServer) -> dict[str, Any]:
    return {
        "smtp_url": smtp.url,
        "mail_from": '"The Courier" <comments@news.example>',
        "public_url": IN_PROCESS_URL,
        "jobs_poll_ms": 20,
    }


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    server.store.update_site("demo", None, QUIET)
    with server.client(headers={"Origin": HOST_ORIGIN}) as client:
        yield client


def states(server: LiveServer) -> list[str]:
    with server.store.engines.read.connect() as conn:
        return [r.state for r in conn.execute(select(subscriptions.c.state))]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == IN_PROCESS_URL, url
    return f"{parts.path}?{parts.query}"


def test_the_confirmation_mail_arrives_once_and_its_link_confirms(
    server: LiveServer, browser: httpx.Client, smtp: SmtpServer
) -> None:
    posted(browser, "Hello.", email=ADDRESS, notify="thread")
    [mail] = smtp.recorder.wait_for(1)
    # A second subscription the same day: one mail for the day, never two.
    posted(browser, "Again.", thread="t2", email=ADDRESS, notify="replies")
    message = mail.message
    assert mail.rcpt_tos == [ADDRESS]
    assert message["Subject"] == "Confirm your notifications from Demo"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [link] = re.findall(r"http://127\.0\.0\.1/n/demo/confirm\?token=\S+", text)
    assert link in html.replace("&amp;", "&")
    assert states(server) == ["pending", "pending"]
    page = browser.get(path_of(link), headers={"Origin": IN_PROCESS_URL})
    assert page.status_code == 200 and states(server) == ["pending", "pending"]
    with server.client(headers={"Origin": IN_PROCESS_URL}) as own:
        done = own.post(path_of(link), data={"go": "1"})
    assert done.status_code == 200, done.text
    assert states(server) == ["confirmed", "confirmed"]
    # The job is done, and nothing else was sent (the day's key refused the second request's).
    with server.store.engines.read.connect() as conn:
        query = select(jobs.c.state).where(jobs.c.kind == "notify.confirm")
        assert [r.state for r in conn.execute(query)] == ["done"]
    assert len(smtp.recorder.mails) == 1
    # One click from the mail's List-Unsubscribe stops everything, with no sign-in.
    leave = message["List-Unsubscribe"].strip("<>")
    with server.client() as mail_client:
        click = mail_client.post(path_of(leave), content=b"List-Unsubscribe=One-Click")
    assert click.status_code == 200
    assert states(server) == ["ended", "ended"]


def test_the_mail_is_in_the_readers_language(
    server: LiveServer, browser: httpx.Client, smtp: SmtpServer
) -> None:
    answer = browser.post(
        f"{API}/comments?lang=fr",
        json={"thread": "t1", "body": "Bonjour.", "email": ADDRESS, "notify": "thread"},
    )
    assert answer.status_code == 201, answer.text
    [mail] = smtp.recorder.wait_for(1)
    assert mail.message["Subject"] == "Confirmez vos notifications de Demo"
    assert mail.message["Content-Language"] == "fr"
    assert "Confirmer mon adresse" in mail.message.get_body(("html",)).get_content()


def test_a_confirmed_address_gets_no_mail_and_a_run_once_runner_sends_nothing_more(
    server: LiveServer, browser: httpx.Client, smtp: SmtpServer
) -> None:
    """The handler, run by a runner of its own (``run_batch``), sends nothing for an address
    confirmed meanwhile: nothing but the confirmation is ever sent, and only while needed."""
    posted(browser, "Hello.", email=ADDRESS, notify="thread")
    smtp.recorder.wait_for(1)
    ctx = server.app.app.ctx
    subs = ctx.subscriptions
    site = server.store.get_site("demo")
    assert site is not None
    with server.store.engines.read.connect() as conn:
        [subscriber_id] = [r.subscriber_id for r in conn.execute(select(subscriptions))]
    confirmation = subs.confirmation(site, subscriber_id)
    assert confirmation is not None
    subs.confirm(site, confirmation.confirm_token)
    sent: list[object] = []
    handlers = JobHandlers()
    register(handlers, subs, ctx.settings, sent.append)

    class Payload:
        payload = {"site": site.id, "slug": site.slug, "subscriber": subscriber_id}

    handlers.get("notify.confirm")(Payload())  # type: ignore[misc]
    assert sent == []
    runner = Runner(SqlJobQueue(server.store.engines), handlers, RunnerSettings())
    assert runner.run_batch() == 0  # the only job was done by the app's runner
    assert len(smtp.recorder.mails) == 1


def job_once(server: LiveServer, state: str, timeout: float = 10) -> Any:
    """The one confirmation job, once it is in ``state`` (the app's runner works on its own
    time)."""
    deadline = time.monotonic() + timeout
    while True:
        with server.store.engines.read.connect() as conn:
            rows = conn.execute(select(jobs).where(jobs.c.kind == "notify.confirm")).fetchall()
        found = [r for r in rows if r.state == state.split("_")[0]]
        if state == "queued_after_a_try":
            found = [r for r in found if r.attempts >= 1]
        if found or time.monotonic() > deadline:
            assert len(rows) == 1 and found, rows
            return found[0]
        threading.Event().wait(0.02)


def test_a_recipient_refused_for_good_is_dead_at_once_and_its_record_names_no_address(
    server: LiveServer, browser: httpx.Client, smtp: SmtpServer
) -> None:
    smtp.recorder.refuse = "550 5.1.1 <ines.moreau@news.example>: no such mailbox"
    posted(browser, "Hello.", email=ADDRESS, notify="thread")
    job = job_once(server, "dead")
    assert (job.attempts, job.last_error) == (1, "SMTP server refused the mail for good")
    assert smtp.recorder.mails == [] and states(server) == ["pending"]


def test_a_server_refusing_for_now_is_retried_later(
    server: LiveServer, browser: httpx.Client, smtp: SmtpServer
) -> None:
    smtp.recorder.refuse = "451 4.3.0 try again later"
    posted(browser, "Hello.", email=ADDRESS, notify="thread")
    job = job_once(server, "queued_after_a_try")
    assert job.last_error == "SMTP server unavailable or refusing for now"
    assert job.run_after > job.created_at  # backed off, not dropped
