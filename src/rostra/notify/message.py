"""One outgoing mail, built safely: every header checked, both parts, ids that thread.

A header value with CR, LF, NUL or another control character is refused with an error naming the
header, never folded or stripped: it could only come from someone trying to add headers of their
own (header injection). Addresses are checked as rostra.config checks ``mail_from``. The
Message-ID comes from the caller's idempotency key, so the same mail sent twice (a job retried
after a crash) carries the same id and a mail client shows it once.
"""

from __future__ import annotations

import re
import sys
from binascii import b2a_qp
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime
from functools import lru_cache
from hashlib import sha256
from random import randrange
from urllib.parse import urlsplit

from rostra.config import (
    AddressError,
    HeaderInjection,
    check_addr_spec,
    parse_mailbox,
    refuse_control_characters,
)

__all__ = [
    "AddressError",
    "HeaderInjection",
    "Mail",
    "MailError",
    "Outgoing",
    "compose",
    "message_id",
    "recipient",
    "render",
]

#: Longer subjects are cut (with an ellipsis): mail clients show no more, and a title is content.
MAX_SUBJECT = 200
MAX_REFERENCES = 20
_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,200}@[A-Za-z0-9.-]{1,253}>")


class MailError(ValueError):
    """A mail cannot be built from what was given; the message names the part and why."""


@dataclass(frozen=True, slots=True)
class Mail:
    """What a mail says and to whom; ``compose`` turns it into a message ready to send.

    ``html`` is a whole HTML document whose every value was escaped (rostra.notify.content
    renders it); ``key`` is the idempotency key the Message-ID is made from.
    """

    sender: str
    to: str
    subject: str
    text: str
    key: str
    html: str | None = None
    to_name: str = ""
    language: str = "en"
    in_reply_to: str | None = None
    references: Sequence[str] = ()
    unsubscribe_url: str | None = None
    date: datetime | None = None


def checked(name: str, value: str) -> str:
    """``value`` for the header ``name``, or ``HeaderInjection`` naming the header."""
    refuse_control_characters(value, name)
    return value


def recipient(address: str, name: str = "") -> Address:
    """A checked recipient (``AddressError`` or ``HeaderInjection`` otherwise)."""
    checked("To (name)", name)
    if "<" in address:
        parsed_name, addr = parse_mailbox(address, "To")
        name = name or parsed_name
    else:
        addr = check_addr_spec(address, "To")
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def message_id(key: str, domain: str) -> str:
    """The Message-ID for idempotency key ``key``: the same key, the same id."""
    if not key:
        raise MailError("a mail needs an idempotency key (its Message-ID is made from it)")
    return f"<{sha256(key.encode('utf-8')).hexdigest()[:40]}@{domain}>"


def _message_ids(name: str, values: Sequence[str]) -> list[str]:
    if len(values) > MAX_REFERENCES:
        raise MailError(f"{name} takes at most {MAX_REFERENCES} message ids")
    for value in values:
        checked(name, value)
        if not _MESSAGE_ID.fullmatch(value):
            raise MailError(f"{name} takes message ids such as <id@example.com>, not {value!r}")
    return list(values)


def _unsubscribe(url: str) -> str:
    checked("List-Unsubscribe", url)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or re.search(r"[\s<>]", url):
        raise MailError(f"List-Unsubscribe takes an http(s) URL, not {url!r}")
    return f"<{url}>"


@dataclass(frozen=True, slots=True)
class _Checked:
    """A mail's header values, each checked (``compose`` and ``render`` refuse alike)."""

    sender_name: str
    sender: str  # local@domain
    to_name: str
    to: str
    subject: str
    message_id: str
    in_reply_to: str | None
    references: list[str]
    unsubscribe: str | None  # <url>
    language: str


def _check(mail: Mail) -> _Checked:
    sender_name, sender_addr = _mailbox(checked("From", mail.sender))
    subject = checked("Subject", mail.subject).strip()
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1].rstrip() + "…"
    to = recipient(mail.to, mail.to_name)
    return _Checked(
        sender_name=sender_name,
        sender=sender_addr,
        to_name=to.display_name,
        to=to.addr_spec,
        subject=subject,
        message_id=message_id(mail.key, sender_addr.rpartition("@")[2]),
        in_reply_to=(
            _message_ids("In-Reply-To", [mail.in_reply_to])[0] if mail.in_reply_to else None
        ),
        references=_message_ids("References", mail.references) if mail.references else [],
        unsubscribe=_unsubscribe(mail.unsubscribe_url) if mail.unsubscribe_url else None,
        language=checked("Content-Language", mail.language),
    )


@lru_cache(maxsize=64)
def _mailbox(value: str) -> tuple[str, str]:
    # Kept: every mail has the same sender, and parsing it takes the email package's parser.
    return parse_mailbox(value, "From")


def compose(mail: Mail) -> EmailMessage:
    """The message for ``mail``: headers checked, a text part and (when given) an HTML part."""
    c = _check(mail)
    local, _, domain = c.sender.rpartition("@")
    message = EmailMessage(policy=default)
    message["From"] = Address(display_name=c.sender_name, username=local, domain=domain)
    to_local, _, to_domain = c.to.rpartition("@")
    message["To"] = Address(display_name=c.to_name, username=to_local, domain=to_domain)
    message["Subject"] = c.subject
    message["Date"] = format_datetime((mail.date or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = c.message_id
    if c.in_reply_to:
        message["In-Reply-To"] = c.in_reply_to
    if c.references:
        message["References"] = " ".join(c.references)
    if c.unsubscribe:
        message["List-Unsubscribe"] = c.unsubscribe
        # RFC 8058: a mail client may unsubscribe with one POST, no page to fill in.
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # RFC 3834: sent by a program, so out-of-office replies are not sent back to it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html", charset="utf-8")
    # After the parts: setting content moves or drops the Content-* headers already there.
    message["Content-Language"] = c.language
    return message


# -- the same message, serialised directly --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A mail ready for SMTP: the envelope's sender and recipient, the message's bytes."""

    sender: str
    recipient: str
    data: bytes

    def message(self) -> EmailMessage:
        """The bytes parsed back (for a sender that takes an ``EmailMessage``, or a test)."""
        parsed: EmailMessage = message_from_bytes(self.data, _class=EmailMessage, policy=default)
        return parsed


_CRLF = b"\r\n"
# SMTP's limit on a line (RFC 5321 4.5.3.1.6), its CRLF left out; 78 is what a line should keep to.
_MAX_LINE = 998
_SHORT_LINE = 78


@lru_cache(maxsize=1024)
def _folded(name: str, value: str) -> bytes:
    """``name: value`` folded and encoded (RFC 2047 where it is not ASCII) by the email package,
    CRLF line ends. Kept: a fan-out's mails share their From, Subject and language."""
    return SMTP.fold_binary(name, SMTP.header_factory(name, value))


def _address(name: str, addr: str) -> str:
    local, _, domain = addr.rpartition("@")
    return str(Address(display_name=name, username=local, domain=domain))


def _raw(name: str, value: str) -> bytes:
    """``name: value`` as it is, for a value made and checked here (ASCII, no space to fold at
    or no need to); the email package folds what would pass SMTP's line limit."""
    line = f"{name}: {value}"
    if len(line) > _MAX_LINE or not line.isascii():
        return _folded(name, value)
    return line.encode("ascii") + _CRLF


def _part(text: str, subtype: str) -> bytes:
    """One text part: 7bit when every line is short ASCII, else quoted-printable (binascii's,
    in C), lines ended as ``set_content`` ends them."""
    lines = text.encode("utf-8").splitlines()
    body = _CRLF.join(lines) + _CRLF
    if body.isascii() and all(len(line) <= _SHORT_LINE for line in lines):
        encoding = b"7bit"
    else:
        encoding, body = b"quoted-printable", b2a_qp(body, istext=True)
    return (
        b"Content-Type: text/" + subtype.encode("ascii") + b'; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: " + encoding + b"\r\n\r\n" + body
    )


def render(mail: Mail) -> Outgoing:
    """What ``compose`` builds, checked the same way, as SMTP bytes, without the email
    package's header objects and generator (which cost more than the rest of a fan-out's mail):
    the headers that are the same in every mail of a fan-out (From, Subject) folded once and
    kept, the others written as they are (ids and links made and checked here, the address
    ASCII), each part encoded by C code."""
    c = _check(mail)
    date = format_datetime((mail.date or datetime.now(UTC)).astimezone(UTC))
    head = [
        _folded("From", _address(c.sender_name, c.sender)),
        _folded("To", _address(c.to_name, c.to)) if c.to_name else _raw("To", c.to),
        _folded("Subject", c.subject),
        _raw("Date", date),
        _raw("Message-ID", c.message_id),
    ]
    if c.in_reply_to:
        head.append(_raw("In-Reply-To", c.in_reply_to))
    if c.references:
        # One id a line, as a folded header may carry them.
        head.append(b"References: " + "\r\n ".join(c.references).encode("ascii") + _CRLF)
    if c.unsubscribe:
        head.append(_raw("List-Unsubscribe", c.unsubscribe))
        head.append(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
    head.append(b"Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n")
    text = _part(mail.text, "plain")
    if mail.html is None:
        head.append(text[: text.index(b"\r\n\r\n") + 2])
        head.append(_folded("Content-Language", c.language))
        body = text[text.index(b"\r\n\r\n") + 2 :]
    else:
        html = _part(mail.html, "html")
        boundary = _boundary(text, html)
        head.append(b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n')
        head.append(_folded("Content-Language", c.language))
        dash = b"--" + boundary
        body = (
            b"\r\n" + dash + _CRLF + text + _CRLF + dash + _CRLF + html + _CRLF + dash + b"--\r\n"
        )
    return Outgoing(c.sender, c.to, b"".join(head) + body)


def _boundary(*parts: bytes) -> bytes:
    """A multipart boundary found in neither part (as the email package makes them)."""
    while True:
        boundary = b"===============" + str(randrange(sys.maxsize)).encode("ascii") + b"=="
        if not any(boundary in part for part in parts):
            return boundary
