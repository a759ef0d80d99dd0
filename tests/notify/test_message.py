"""Building a mail refuses what could add headers or is not an address, precisely, and sends
nothing: CR/LF/NUL in any header value (names, titles, addresses, links, ids), malformed and
over-long addresses, links that are not http(s). Each case is checked on both builders:
``compose`` (an ``EmailMessage``) and ``render`` (the bytes the fan-out sends, read back)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from email.message import EmailMessage

import pytest

from rostra.config import AddressError, HeaderInjection, load_settings
from rostra.notify.content import CommentNotice, comment_mail
from rostra.notify.message import Mail, MailError, compose, recipient, render

SECRET = "a-secret-for-the-mail-tests-0123456789abcdef"
SETTINGS = load_settings(env={}, secret_key=SECRET, mail_from="Courier <c@news.example>")
MAIL = Mail(
    sender="Courier <c@news.example>",
    to="reader@example.org",
    subject="A reply",
    text="hello",
    key="k1",
)
BREAKS = ["\r\n", "\n", "\r", "\0"]


def rendered(mail: Mail) -> EmailMessage:
    return render(mail).message()


Build = Callable[[Mail], EmailMessage]
builders = pytest.mark.parametrize("build", [compose, rendered], ids=["compose", "render"])


@builders
@pytest.mark.parametrize("brk", BREAKS)
@pytest.mark.parametrize(
    ("field", "header"),
    [
        ("subject", "Subject"),
        ("to_name", "To (name)"),
        ("sender", "From"),
        ("to", "To"),
        ("unsubscribe_url", "List-Unsubscribe"),
        ("in_reply_to", "In-Reply-To"),
        ("language", "Content-Language"),
    ],
)
def test_a_line_break_or_nul_in_any_header_is_refused_by_name(
    field: str, header: str, brk: str, build: Build
) -> None:
    base = {
        "subject": "A reply",
        "to_name": "Zoë",
        "sender": "Courier <c@news.example>",
        "to": "reader@example.org",
        "unsubscribe_url": "https://news.example/u/1",
        "in_reply_to": "<a@news.example>",
        "language": "en",
    }
    value = base[field] + brk + "Bcc: victim@example.org"
    with pytest.raises(HeaderInjection) as raised:
        build(replace(MAIL, **{field: value}))
    kind = "a NUL character" if brk == "\0" else "a line break (CR or LF)"
    assert str(raised.value) == f"{header} contains {kind}: refused, it could add mail headers"


@builders
@pytest.mark.parametrize("brk", BREAKS)
def test_a_line_break_in_a_title_or_name_refuses_the_notification(brk: str, build: Build) -> None:
    for notice in (
        CommentNotice("Site", f"Title{brk}Bcc: x@y.z", "Ada", "body", "https://n.example/1"),
        CommentNotice("Site", "Title", f"Ada{brk}Bcc: x@y.z", "body", "https://n.example/1"),
    ):
        mail = comment_mail(SETTINGS, notice, to="r@example.org", key="k")
        with pytest.raises(HeaderInjection, match="^Subject contains"):
            build(mail)


@builders
def test_a_reference_with_a_line_break_is_refused(build: Build) -> None:
    with pytest.raises(HeaderInjection, match="^References contains a line break"):
        build(replace(MAIL, references=("<a@b.example>\r\nBcc: x@y.z",)))


@builders
@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("", "is not a mail address"),
        ("reader", "is not a mail address"),
        ("reader@", "is not a mail address"),
        ("@example.org", "is not a mail address"),
        ("a b@example.org", "is not a mail address"),
        ("a..b@example.org", "is not a mail address"),
        ("a@exa_mple.org", "is not a mail address"),
        ("a@[127.0.0.1]", "is not a mail address"),
        ("a@-example.org", "is not a mail address"),
        ("zoë@example.org", "ASCII"),
        ("x" * 65 + "@example.org", "more than 64 characters before the @"),
        ("a@" + "b" * 250 + ".org", "longer than 254 characters"),
        ("One <a@example.org>, Two <b@example.org>", "must be one address"),
    ],
)
def test_a_bad_address_is_refused(address: str, why: str, build: Build) -> None:
    with pytest.raises(AddressError, match=why):
        recipient(address)
    with pytest.raises(AddressError, match=why):
        build(replace(MAIL, to=address))


def test_addresses_at_the_limits_are_taken() -> None:
    local = "x" * 64
    domain = ".".join(["d" * 61, "d" * 61, "d" * 57]) + ".example"
    assert len(f"{local}@{domain}") == 254
    assert recipient(f"{local}@{domain}").addr_spec == f"{local}@{domain}"
    assert recipient("First.Last+tag@Example.ORG").addr_spec == "First.Last+tag@example.org"
    assert str(recipient("a@example.org", 'Zoë "Z" <x>')) == '"Zoë \\"Z\\" <x>" <a@example.org>'


@builders
@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "mailto:x@y.z", "/relative", "https://a b.example/"]
)
def test_an_unsubscribe_link_must_be_http(url: str, build: Build) -> None:
    with pytest.raises(MailError, match="List-Unsubscribe takes an http"):
        build(replace(MAIL, unsubscribe_url=url))


def test_a_comment_link_must_be_http() -> None:
    notice = CommentNotice("Site", "Title", "Ada", "body", "javascript:alert(1)")
    with pytest.raises(MailError, match="the comment's link must be an http"):
        comment_mail(SETTINGS, notice, to="r@example.org", key="k")


@builders
def test_a_message_id_reference_must_look_like_one(build: Build) -> None:
    with pytest.raises(MailError, match="In-Reply-To takes message ids"):
        build(replace(MAIL, in_reply_to="not-an-id"))


@builders
def test_a_long_subject_is_cut_not_refused(build: Build) -> None:
    message = build(replace(MAIL, subject="word " * 100))
    assert len(message["Subject"]) == 200 and message["Subject"].endswith("…")


@builders
def test_without_an_idempotency_key_there_is_no_mail(build: Build) -> None:
    with pytest.raises(MailError, match="idempotency key"):
        build(replace(MAIL, key=""))


@builders
def test_a_mail_without_html_is_plain_text_only(build: Build) -> None:
    message = build(MAIL)
    assert message.get_content_type() == "text/plain"
    assert "List-Unsubscribe" not in message and "List-Unsubscribe-Post" not in message
