"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1 and a kernel-assigned port,
keeping what it receives, and one a test stops and starts again; a certificate made for the
test, for STARTTLS and TLS; the test's clock and the jobs runner that runs on it."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from rostra.demo.mail_sink import BoundController
from rostra.domain.clock import utc_now
from rostra.jobs.registry import JobHandlers
from rostra.jobs.retry import RetryPolicy
from rostra.jobs.runner import Runner, RunnerSettings
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.repository import SqlStore

FROM = '"The Courier" <comments@news.example>'


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed: EmailMessage = message_from_bytes(self.raw, _class=EmailMessage, policy=default)
        return parsed


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every mail; ``refuse`` answers RCPT with that reply."""

    mails: list[Received] = field(default_factory=list)
    refuse: str | None = None
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        with self._arrived:
            self.mails.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    envelope.original_content or b"",
                )
            )
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """The mails once ``count`` have arrived (waiting on the condition, not a sleep)."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.mails) >= count, timeout), self.mails
            return list(self.mails)


@dataclass
class SmtpServer:
    controller: BoundController
    recorder: Recorder

    @property
    def url(self) -> str:
        return self.controller.url


def serve(recorder: Recorder, **options: Any) -> BoundController:
    """aiosmtpd on 127.0.0.1, a kernel-assigned port, with ``options`` (TLS, AUTH…), started."""
    controller = BoundController(recorder, **options)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A plain SMTP server that keeps what it receives."""
    recorder = Recorder()
    controller = serve(recorder)
    yield SmtpServer(controller, recorder)
    controller.stop()


@dataclass
class Restartable:
    """aiosmtpd on a kernel-assigned port that a test stops and starts again on that port."""

    recorder: Recorder
    controller: BoundController | None
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        assert self.controller is not None
        self.controller.stop()
        self.controller = None

    def start(self) -> None:
        self.controller = serve(self.recorder, port=self.port)


@pytest.fixture
def mailserver() -> Iterator[Restartable]:
    recorder = Recorder()
    controller = serve(recorder)
    server = Restartable(recorder, controller, controller.port)
    yield server
    if server.controller is not None:
        server.controller.stop()


class Clock:
    """A clock a minute ahead of the real one (what the services stamp is due at once), moved
    by the test."""

    def __init__(self) -> None:
        self.at = utc_now() + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def jobs_runner(store: SqlStore, handlers: JobHandlers, clock: Clock) -> Runner:
    """The jobs runner on the test's clock: a failed job is tried again 10 to 60 s later."""
    retry = RetryPolicy(base_seconds=10, max_seconds=60, max_attempts=20)
    return Runner(
        SqlJobQueue(store.engines),
        handlers,
        RunnerSettings(batch_size=50, retry=retry),
        clock=clock,
    )


def drain(runner: Runner) -> int:
    """Run every due job (jobs that enqueue jobs included); how many ran."""
    ran = 0
    while n := runner.run_batch():
        ran += n
    return ran


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, made for this test run."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What a sender that trusts this certificate (and checks host names) uses."""
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed (neither cryptography nor trustme is)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return Certificate(cert, key)
