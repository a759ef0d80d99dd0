"""One outgoing mail, built safely: every header checked, both parts, ids that thread.

A header value with CR, LF, NUL or another control character is refused with an error naming the
header, never folded or stripped: it could only come from someone trying to add headers of their
own (header injection). Addresses are checked as rostra.config checks ``mail_from``. The
Message-ID comes from the caller's idempotency key, so the same mail sent twice (a job retried
after a crash) carries the same id and a mail client shows it once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from hashlib import sha256
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
    "compose",
    "message_id",
    "recipient",
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


def compose(mail: Mail) -> EmailMessage:
    """The message for ``mail``: headers checked, a text part and (when given) an HTML part."""
    sender_name, sender_addr = parse_mailbox(checked("From", mail.sender), "From")
    local, _, domain = sender_addr.rpartition("@")
    subject = checked("Subject", mail.subject).strip()
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1].rstrip() + "…"
    message = EmailMessage(policy=default)
    message["From"] = Address(display_name=sender_name, username=local, domain=domain)
    message["To"] = recipient(mail.to, mail.to_name)
    message["Subject"] = subject
    message["Date"] = format_datetime((mail.date or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = message_id(mail.key, domain)
    if mail.in_reply_to:
        message["In-Reply-To"] = _message_ids("In-Reply-To", [mail.in_reply_to])[0]
    if mail.references:
        message["References"] = " ".join(_message_ids("References", mail.references))
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = _unsubscribe(mail.unsubscribe_url)
        # RFC 8058: a mail client may unsubscribe with one POST, no page to fill in.
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # RFC 3834: sent by a program, so out-of-office replies are not sent back to it.
    message["Auto-Submitted"] = "auto-generated"
    language = checked("Content-Language", mail.language)
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html", charset="utf-8")
    # After the parts: setting content moves or drops the Content-* headers already there.
    message["Content-Language"] = language
    return message
