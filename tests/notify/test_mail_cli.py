"""``rostra mail test ADDRESS`` as an operator runs it (a real process) against a real SMTP
server: the mail arrives; every failure is one line on standard error, exit status 2, no
traceback and never the password."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import closed_port
from tests.notify.conftest import SmtpServer

SECRET = "a-secret-for-the-mail-tests-0123456789abcdef"
PASSWORD = "never-Shown-42"


def rostra_mail(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
    return subprocess.run(
        [sys.executable, "-m", "rostra", "mail", "test", *args],
        env=base | {"ROSTRA_SECRET_KEY": SECRET} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rostra: error: "), done.stderr
    assert PASSWORD not in done.stderr
    return lines[0]


def test_the_test_mail_arrives(smtp: SmtpServer) -> None:
    done = rostra_mail(
        "reader@example.org",
        ROSTRA_SMTP_URL=smtp.url,
        ROSTRA_MAIL_FROM='"The Courier" <comments@news.example>',
    )
    assert done.returncode == 0, done.stderr
    [mail] = smtp.recorder.wait_for(1)
    message = mail.message
    assert mail.rcpt_tos == ["reader@example.org"]
    assert message["Subject"] == "Rostra test mail"
    assert message["From"].addresses[0].addr_spec == "comments@news.example"
    assert message["Message-ID"] in done.stdout
    assert f"test mail sent to reader@example.org through {smtp.url}" in done.stdout
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "If you can read it, Rostra can send mail." in text
    assert smtp.url in text


def test_the_test_mail_speaks_french(smtp: SmtpServer) -> None:
    done = rostra_mail("reader@example.org", "--language", "fr", ROSTRA_SMTP_URL=smtp.url)
    assert done.returncode == 0, done.stderr
    message = smtp.recorder.wait_for(1)[0].message
    assert message["Subject"] == "Courriel de test de Rostra"
    assert message["Content-Language"] == "fr"


def test_a_server_that_is_not_there_is_one_line_without_the_password() -> None:
    port = closed_port()
    done = rostra_mail(
        "reader@example.org", ROSTRA_SMTP_URL=f"smtps://me:{PASSWORD}@127.0.0.1:{port}"
    )
    assert f"cannot reach the SMTP server at 127.0.0.1:{port}" in one_line_error(done)


def test_a_refused_recipient_is_one_line(smtp: SmtpServer) -> None:
    smtp.recorder.refuse = "550 5.1.1 no such mailbox here"
    done = rostra_mail("nobody@example.org", ROSTRA_SMTP_URL=smtp.url)
    assert "550 5.1.1 no such mailbox here" in one_line_error(done)


def test_without_smtp_url_it_says_what_to_set() -> None:
    assert "give smtp_url (ROSTRA_SMTP_URL)" in one_line_error(rostra_mail("reader@example.org"))


def test_a_bad_address_or_url_is_one_line(smtp: SmtpServer) -> None:
    bad_address = rostra_mail("reader@@example.org", ROSTRA_SMTP_URL=smtp.url)
    assert "To is not a mail address" in one_line_error(bad_address)
    bad_url = rostra_mail(
        "reader@example.org", ROSTRA_SMTP_URL=f"smtp://me:{PASSWORD}@mail.example:70000"
    )
    assert "smtp_url has an invalid port: '70000'" in one_line_error(bad_url)
    assert smtp.recorder.mails == []
