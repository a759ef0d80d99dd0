"""``rostra mail test ADDRESS``: send one mail through the configured SMTP server, and say how
it went in one line (exit status 2 and no traceback when it did not; never the password)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rostra.config import command_settings
from rostra.notify.content import trial_mail
from rostra.notify.mail import MailDeliveryError, SmtpSender
from rostra.notify.message import compose


def register(sub: Any) -> None:
    mail = sub.add_parser("mail", help="outgoing mail")
    mail_sub = mail.add_subparsers(dest="mail_command", required=True)
    test = mail_sub.add_parser("test", help="send a test mail to ADDRESS")
    test.add_argument("address", help="where to send it, e.g. you@example.org")
    test.add_argument(
        "--language", default=None, help="the mail's language (one of languages; default_language)"
    )
    mail.set_defaults(func=cmd_mail)


def cmd_mail(args: argparse.Namespace) -> int:
    settings = command_settings(args)
    language = args.language or settings.default_language
    if language not in settings.languages:
        raise ValueError(f"--language must be one of {', '.join(settings.languages)}")
    sender = SmtpSender.from_settings(settings)
    message = compose(trial_mail(settings, args.address, language=language))
    try:
        sender.send(message)
    except MailDeliveryError as exc:
        print(f"rostra: error: {exc}", file=sys.stderr)
        return 2
    print(f"test mail sent to {message['To']} through {sender.endpoint} ({message['Message-ID']})")
    return 0
