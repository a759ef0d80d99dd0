"""Deliver a composed message over SMTP: STARTTLS, TLS from the start, or plain on loopback.

``SmtpSender.send`` is blocking I/O with a timeout on every step; it runs in a job runner's
thread (or the ``rostra mail test`` command), never on the event loop. Every failure is one
``MailDeliveryError`` that says what went wrong and whether trying again later can help
(``temporary``): the server down, slow, refusing TLS or the login is temporary (the mail waits
until the server or its settings are fixed); a recipient or message the server refuses for good
(a 5xx answer to RCPT or DATA) is not. No error message contains the password.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
import time
from base64 import b64encode
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from email.message import EmailMessage
from urllib.parse import urlsplit

from rostra.config import Settings, SmtpEndpoint
from rostra.notify.message import MailError, Outgoing


class MailNotConfigured(MailError):
    """No ``smtp_url`` is set, so there is nowhere to send mail."""


class MailDeliveryError(Exception):
    """The SMTP server did not take the mail; ``temporary`` says whether a retry may succeed."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


class SmtpSender:
    """Sends messages to one SMTP server (``smtp_url``), one connection per message."""

    def __init__(
        self,
        endpoint: SmtpEndpoint,
        *,
        timeout: float,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str = "localhost",
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.local_hostname = local_hostname
        # The system's trusted certificates and host-name checks unless told otherwise (a test
        # trusts its own certificate authority this way).
        self.ssl_context = ssl_context or ssl.create_default_context()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, ssl_context: ssl.SSLContext | None = None
    ) -> SmtpSender:
        endpoint = settings.smtp
        if endpoint is None:
            raise MailNotConfigured(
                "no SMTP server is set: give smtp_url (ROSTRA_SMTP_URL), "
                "e.g. smtp://user:password@mail.example.com:587?starttls=1"
            )
        # EHLO names this machine: public_url's host when there is one.
        host = urlsplit(settings.public_url).hostname if settings.public_url else None
        return cls(
            endpoint,
            timeout=settings.smtp_timeout_seconds,
            ssl_context=ssl_context,
            local_hostname=host or "localhost",
        )

    def send(self, message: EmailMessage | Outgoing) -> None:
        """Hand ``message`` to the server on a connection of its own, or raise
        ``MailDeliveryError``."""
        with self.session() as session:
            session.send(message)

    @contextmanager
    def session(self) -> Iterator[SmtpSession]:
        """One connection (TLS and login done once) for many messages: a fan-out to a thread's
        subscribers sends them all through it. ``MailDeliveryError`` if it cannot be opened."""
        with self.errors():
            client = self._connect()
        try:
            yield SmtpSession(self, client)
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
            client.close()

    def _connect(self) -> smtplib.SMTP:
        endpoint = self.endpoint
        # Named here, not looked up: smtplib would otherwise ask the resolver for this host's
        # name on every connection.
        client: smtplib.SMTP
        if endpoint.security == "tls":
            client = smtplib.SMTP_SSL(
                endpoint.host,
                endpoint.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self.ssl_context,
            )
        else:
            client = smtplib.SMTP(
                endpoint.host,
                endpoint.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
            )
        try:
            client.ehlo()
            if endpoint.security == "starttls":
                if not client.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError(
                        "the server does not offer STARTTLS, which smtp_url asks for"
                    )
                client.starttls(context=self.ssl_context)
                client.ehlo()
            if endpoint.username:
                client.login(endpoint.username, endpoint.password)
        except BaseException:
            client.close()
            raise
        return client

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Every failure of the block as one ``MailDeliveryError`` (see the module's doc)."""
        where = f"{self.endpoint.host}:{self.endpoint.port}"
        try:
            yield
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reason = "; ".join(self._answer(c, m) for c, m in exc.recipients.values())
            raise MailDeliveryError(
                f"the SMTP server at {where} refused the recipient: {reason}",
                temporary=any(code < 500 for code in codes),
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise MailDeliveryError(
                f"the SMTP server at {where} refused the user name or password: "
                + self._answer(exc.smtp_code, exc.smtp_error),
                temporary=True,
            ) from None
        except smtplib.SMTPDataError as exc:
            raise MailDeliveryError(
                f"the SMTP server at {where} refused the message: "
                + self._answer(exc.smtp_code, exc.smtp_error),
                temporary=exc.smtp_code < 500,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise MailDeliveryError(
                f"the SMTP server at {where} answered "
                + self._answer(exc.smtp_code, exc.smtp_error),
                temporary=True,
            ) from None
        except TimeoutError:
            raise MailDeliveryError(
                f"the SMTP server at {where} did not answer within {self.timeout:g} s",
                temporary=True,
            ) from None
        except ssl.SSLError as exc:
            reason = self._scrub(exc.reason or str(exc))
            raise MailDeliveryError(
                f"TLS with the SMTP server at {where} failed: {reason}",
                temporary=True,
            ) from None
        except smtplib.SMTPException as exc:
            raise MailDeliveryError(
                f"SMTP with {where} failed: {self._scrub(str(exc))}", temporary=True
            ) from None
        except OSError as exc:
            reason = self._scrub(exc.strerror or str(exc))
            raise MailDeliveryError(
                f"cannot reach the SMTP server at {where}: {reason}",
                temporary=True,
            ) from None

    def _answer(self, code: int, text: bytes | str) -> str:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return self._scrub(f"{code} {' '.join(text.split())}")

    def _scrub(self, text: str) -> str:
        """``text`` without the password, plain or as AUTH sends it (base64), should a server
        or a library ever repeat it."""
        password = self.endpoint.password
        if not password:
            return text
        user = self.endpoint.username
        forms = {
            password,
            b64encode(password.encode()).decode(),
            b64encode(f"\0{user}\0{password}".encode()).decode(),
        }
        for form in forms:
            text = text.replace(form, "***")
        return text


class SmtpSession:
    """An open connection of ``SmtpSender.session``; a refused recipient leaves it usable."""

    def __init__(self, sender: SmtpSender, client: smtplib.SMTP) -> None:
        self._sender = sender
        self._client = client

    def send(self, message: EmailMessage | Outgoing) -> None:
        """Hand ``message`` to the server, or raise ``MailDeliveryError``."""
        with self._sender.errors():
            if isinstance(message, Outgoing):
                # Bytes made by rostra.notify.message.render: ASCII addresses, CRLF lines.
                self._client.sendmail(message.sender, [message.recipient], message.data)
            else:
                self._client.send_message(message)


class PooledSender:
    """One SMTP session kept open from mail to mail (closed when idle past ``idle_seconds``,
    seen at the next mail), so a fan-out to a thousand readers does not connect and log in a
    thousand times. A mail that fails on a session kept from before is tried once more on a new
    one (the server may have closed the old); a refusal for good is not retried."""

    def __init__(self, connect: Callable[[], SmtpSender], idle_seconds: float = 15.0) -> None:
        self._connect = connect
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._stack: ExitStack | None = None
        self._session: SmtpSession | None = None
        self._used = 0.0

    def send(self, message: EmailMessage | Outgoing) -> None:
        with self._lock:
            fresh = False
            if self._session is None or time.monotonic() - self._used > self.idle_seconds:
                self._open()
                fresh = True
            try:
                assert self._session is not None
                self._session.send(message)
            except MailDeliveryError as exc:
                if fresh or not exc.temporary:
                    if exc.temporary:
                        self._close()
                    raise
                self._open()
                assert self._session is not None
                try:
                    self._session.send(message)
                except MailDeliveryError:
                    self._close()
                    raise
            self._used = time.monotonic()

    def _open(self) -> None:
        self._close()
        stack = ExitStack()
        self._session = stack.enter_context(self._connect().session())
        self._stack = stack

    def _close(self) -> None:
        stack, self._stack, self._session = self._stack, None, None
        if stack is not None:
            stack.close()

    def close(self) -> None:
        with self._lock:
            self._close()
