"""The demo's SMTP sink: an aiosmtpd server on loopback that keeps every mail it is given.

``rostra demo`` starts it and points ``smtp_url`` at it, so the demo sends real mail over real
SMTP without a mail server and without ever reaching a real person; the caught mails land in the
demo's mailbox (rostra.demo.mailbox) for ``/demo/mailbox`` to show. aiosmtpd is a run-time
dependency for this (pyproject.toml).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from rostra.demo.mailbox import Mailbox

#: A mail bigger than this is refused (552): the sink is for notifications, not attachments.
MAX_MAIL_BYTES = 1_000_000


class _PromptSMTP(SMTP):
    """aiosmtpd's server with Nagle's algorithm off: it writes a multi-line answer (EHLO's) a
    line at a time, and each client would wait out a delayed ACK (40 ms) for the next line."""

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


class BoundController(Controller):
    """aiosmtpd's threaded controller on a socket bound before it starts, so the port can be
    one the kernel picks (``port=0``) and is known (``.port``) as soon as ``start`` returns."""

    def __init__(self, handler: Any, host: str = "127.0.0.1", port: int = 0, **kwargs: Any):
        self._socket = socket.create_server((host, port))
        super().__init__(handler, hostname=host, port=self._socket.getsockname()[1], **kwargs)

    def factory(self) -> SMTP:
        return _PromptSMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(
            self._factory_invoker, sock=self._socket, ssl=self.ssl_context
        )

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        self._socket.close()

    @property
    def url(self) -> str:
        return f"smtp://{self.hostname}:{self.port}"


class MailboxHandler:
    """aiosmtpd handler that files each mail it accepts in ``mailbox``."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        content = envelope.original_content or b""
        await asyncio.to_thread(self.mailbox.deliver, content)
        return "250 OK: caught by the Rostra demo, delivered to nobody"


def start_sink(mailbox: Mailbox, host: str = "127.0.0.1", port: int = 0) -> BoundController:
    """A running sink filing into ``mailbox``; ``port`` 0 lets the kernel choose one."""
    controller = BoundController(
        MailboxHandler(mailbox), host=host, port=port, data_size_limit=MAX_MAIL_BYTES
    )
    controller.start()
    return controller
