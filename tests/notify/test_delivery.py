"""Mail over real SMTP: aiosmtpd on a kernel-assigned port receives what the sender sends, and
every header and both parts are read back with the email package; TLS and STARTTLS with a
certificate made for the test; a stopped or refusing server gives the typed error."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from rostra.config import Settings, load_settings
from rostra.notify.content import CommentNotice, comment_mail
from rostra.notify.mail import MailDeliveryError, MailNotConfigured, SmtpSender
from rostra.notify.message import compose, message_id
from rostra.services.formatting import render_markdown
from tests.helpers import closed_port
from tests.notify.conftest import Certificate, Recorder, SmtpServer, serve

SECRET = "a-secret-for-the-mail-tests-0123456789abcdef"
PASSWORD = "s3cret-Pass+word"
FROM = '"The Courier" <comments@news.example>'
THREAD_ID = "<thread-harbour-bridge@news.example>"
PARENT_ID = "<parent-comment-41@news.example>"
UNSUBSCRIBE = "https://comments.news.example/u/abc123?site=courier"


def settings(url: str, **extra: Any) -> Settings:
    return load_settings(env={}, secret_key=SECRET, smtp_url=url, mail_from=FROM, **extra)


NOTICE = CommentNotice(
    site_name="The Courier",
    article_title="The swing bridge <b>reopens</b>",
    author_name='Ada "<script>alert(1)</script>"',
    body="I *walked* across it.\n\n<script>alert('body')</script> and [a link](https://example.org/x)",
    url="https://news.example/bridge#comment-42",
)


def notification(config: Settings, key: str = "comment:42:to:reader", **extra: Any) -> Any:
    return compose(
        comment_mail(
            config,
            NOTICE,
            to="reader@example.org",
            to_name="Zoë Reader",
            key=key,
            unsubscribe_url=UNSUBSCRIBE,
            in_reply_to=PARENT_ID,
            references=(THREAD_ID, PARENT_ID),
            **extra,
        )
    )


def test_a_notification_arrives_with_every_header_and_both_parts(smtp: SmtpServer) -> None:
    config = settings(smtp.url)
    SmtpSender.from_settings(config).send(notification(config))
    [mail] = smtp.recorder.wait_for(1)
    assert mail.mail_from == "comments@news.example"
    assert mail.rcpt_tos == ["reader@example.org"]
    got = mail.message
    assert got["From"].addresses[0].display_name == "The Courier"
    assert got["From"].addresses[0].addr_spec == "comments@news.example"
    assert got["To"].addresses[0].display_name == "Zoë Reader"
    assert got["To"].addresses[0].addr_spec == "reader@example.org"
    assert got["Subject"] == (
        'Ada "<script>alert(1)</script>" commented on “The swing bridge <b>reopens</b>”'
    )
    assert parsedate_to_datetime(got["Date"]).tzinfo is not None
    assert got["Message-ID"] == message_id("comment:42:to:reader", "news.example")
    assert re.fullmatch(r"<[0-9a-f]{40}@news\.example>", got["Message-ID"])
    assert got["In-Reply-To"] == PARENT_ID
    assert got["References"].split() == [THREAD_ID, PARENT_ID]
    assert got["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got["Auto-Submitted"] == "auto-generated"
    assert got["Content-Language"] == "en"
    assert got.get_content_type() == "multipart/alternative"

    text = got.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert NOTICE.body in text  # the comment as its author wrote it
    assert "https://news.example/bridge#comment-42" in text
    assert UNSUBSCRIBE in text

    html = got.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert render_markdown(NOTICE.body) in html  # the one sanitising renderer's output
    assert "<em>walked</em>" in html
    assert "<script>" not in html  # neither the author's name nor the body's
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "The swing bridge &lt;b&gt;reopens&lt;/b&gt;" in html
    assert 'href="https://news.example/bridge#comment-42"' in html
    assert f'href="{UNSUBSCRIBE.replace("&", "&amp;")}"' in html


def test_a_resent_mail_has_the_same_message_id_and_another_key_another(smtp: SmtpServer) -> None:
    config = settings(smtp.url)
    sender = SmtpSender.from_settings(config)
    sender.send(notification(config, key="job-7"))
    sender.send(notification(config, key="job-7"))
    sender.send(notification(config, key="job-8"))
    ids = [m.message["Message-ID"] for m in smtp.recorder.wait_for(3)]
    assert ids[0] == ids[1] != ids[2]


def test_the_mail_speaks_french_to_a_french_reader(smtp: SmtpServer) -> None:
    config = settings(smtp.url)
    SmtpSender.from_settings(config).send(notification(config, language="fr"))
    got = smtp.recorder.wait_for(1)[0].message
    assert got["Subject"].startswith('Ada "<script>alert(1)</script>" a commenté')
    assert got["Content-Language"] == "fr"
    assert "Lire dans la discussion" in got.get_body(preferencelist=("plain",)).get_content()
    assert 'lang="fr"' in got.get_body(preferencelist=("html",)).get_content()


def test_a_stopped_server_is_a_temporary_error() -> None:
    controller = serve(Recorder())
    config = settings(controller.url)
    sender = SmtpSender.from_settings(config)
    sender.send(notification(config))
    controller.stop()
    with pytest.raises(MailDeliveryError) as raised:
        sender.send(notification(config))
    assert raised.value.temporary
    assert f"cannot reach the SMTP server at 127.0.0.1:{controller.port}" in str(raised.value)


def test_nothing_listening_is_a_temporary_error_without_the_password() -> None:
    config = settings(f"smtps://courier:{PASSWORD}@127.0.0.1:{closed_port()}")
    with pytest.raises(MailDeliveryError) as raised:
        SmtpSender.from_settings(config).send(notification(config))
    assert raised.value.temporary
    assert PASSWORD not in str(raised.value) and PASSWORD not in repr(config.smtp)


def test_a_refused_recipient_is_a_permanent_error(smtp: SmtpServer) -> None:
    smtp.recorder.refuse = "550 5.1.1 no such mailbox"
    config = settings(smtp.url)
    with pytest.raises(MailDeliveryError) as raised:
        SmtpSender.from_settings(config).send(notification(config))
    assert not raised.value.temporary
    assert "refused the recipient: 550 5.1.1 no such mailbox" in str(raised.value)
    assert smtp.recorder.mails == []


def test_a_busy_recipient_is_a_temporary_error(smtp: SmtpServer) -> None:
    smtp.recorder.refuse = "451 4.3.0 try again later"
    config = settings(smtp.url)
    with pytest.raises(MailDeliveryError) as raised:
        SmtpSender.from_settings(config).send(notification(config))
    assert raised.value.temporary


def test_without_smtp_url_there_is_no_sender() -> None:
    with pytest.raises(MailNotConfigured, match="smtp_url"):
        SmtpSender.from_settings(load_settings(env={}, secret_key=SECRET))


# -- TLS ------------------------------------------------------------------------------------------


class Authenticator:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.recorder.logins.append((data.login, data.password))
        ok = data.login == b"courier" and data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)


def test_starttls_then_login(certificate: Certificate) -> None:
    recorder = Recorder()
    controller = serve(
        recorder,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=Authenticator(recorder),
        auth_require_tls=True,
    )
    try:
        config = settings(f"smtp://courier:{PASSWORD}@127.0.0.1:{controller.port}?starttls=1")
        sender = SmtpSender.from_settings(config, ssl_context=certificate.client_context())
        sender.send(notification(config))
        assert recorder.wait_for(1)[0].rcpt_tos == ["reader@example.org"]
        assert recorder.logins == [(b"courier", PASSWORD.encode())]

        wrong = settings(f"smtp://courier:not-{PASSWORD}@127.0.0.1:{controller.port}?starttls=1")
        with pytest.raises(MailDeliveryError) as raised:
            SmtpSender.from_settings(wrong, ssl_context=certificate.client_context()).send(
                notification(wrong)
            )
        assert "refused the user name or password" in str(raised.value)
        assert PASSWORD not in str(raised.value)
        assert raised.value.temporary  # the mail waits until the settings are fixed
    finally:
        controller.stop()


def test_starttls_with_an_untrusted_certificate_is_refused(certificate: Certificate) -> None:
    recorder = Recorder()
    controller = serve(recorder, tls_context=certificate.server_context(), require_starttls=True)
    try:
        config = settings(f"smtp://127.0.0.1:{controller.port}?starttls=1")
        with pytest.raises(MailDeliveryError, match="TLS with the SMTP server") as raised:
            SmtpSender.from_settings(config).send(notification(config))  # system trust only
        assert raised.value.temporary
        assert recorder.mails == []
    finally:
        controller.stop()


def test_starttls_asked_of_a_server_without_it_sends_nothing(smtp: SmtpServer) -> None:
    config = settings(f"{smtp.url}?starttls=1")
    with pytest.raises(MailDeliveryError, match="does not offer STARTTLS"):
        SmtpSender.from_settings(config).send(notification(config))
    assert smtp.recorder.mails == []


def test_smtps_is_tls_from_the_first_byte(certificate: Certificate) -> None:
    recorder = Recorder()
    controller = serve(recorder, ssl_context=certificate.server_context())
    try:
        config = settings(f"smtps://127.0.0.1:{controller.port}")
        SmtpSender.from_settings(config, ssl_context=certificate.client_context()).send(
            notification(config)
        )
        assert recorder.wait_for(1)[0].message["Subject"].startswith("Ada")
    finally:
        controller.stop()


class RefuseOne(Recorder):
    """Refuses RCPT for one address only."""

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address == "gone@example.org":
            return "550 5.1.1 gone"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_one_session_carries_many_mails_past_a_refused_one() -> None:
    recorder = RefuseOne()
    controller = serve(recorder)
    try:
        config = settings(controller.url)
        refused = []
        with SmtpSender.from_settings(config).session() as session:
            for n, to in enumerate(["a@example.org", "gone@example.org", "b@example.org"]):
                mail = comment_mail(config, NOTICE, to=to, key=f"fan-out-{n}")
                try:
                    session.send(compose(mail))
                except MailDeliveryError as exc:
                    refused.append((to, exc.temporary))
        assert refused == [("gone@example.org", False)]
        assert [m.rcpt_tos for m in recorder.wait_for(2)] == [["a@example.org"], ["b@example.org"]]
    finally:
        controller.stop()


def test_a_session_to_a_stopped_server_is_a_temporary_error() -> None:
    config = settings(f"smtp://127.0.0.1:{closed_port()}")
    with pytest.raises(MailDeliveryError) as raised, SmtpSender.from_settings(config).session():
        pass
    assert raised.value.temporary
