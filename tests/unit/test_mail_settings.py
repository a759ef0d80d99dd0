"""smtp_url, mail_from and smtp_timeout_seconds are checked at startup: each mistake is a
ConfigError that says what is wrong, and none repeats the password."""

from __future__ import annotations

import pytest

from rostra.config import ConfigError, load_settings

SECRET = "a-secret-for-the-mail-tests-0123456789abcdef"
PASSWORD = "hunter2-Secret"


def settings(**values: object):  # type: ignore[no-untyped-def]
    return load_settings(env={}, secret_key=SECRET, **values)


@pytest.mark.parametrize(
    ("url", "host", "port", "security", "user"),
    [
        (f"smtp://me:{PASSWORD}@mail.example?starttls=1", "mail.example", 587, "starttls", "me"),
        ("smtp://mail.example?starttls=true", "mail.example", 587, "starttls", ""),
        (f"smtps://me%40n.example:{PASSWORD}@mx.example", "mx.example", 465, "tls", "me@n.example"),
        ("smtps://mail.example:2465", "mail.example", 2465, "tls", ""),
        ("smtp://127.0.0.1:1025", "127.0.0.1", 1025, "plain", ""),
        (f"smtp://me:{PASSWORD}@localhost:1025", "localhost", 1025, "plain", "me"),
        ("SMTP://mail.example", "mail.example", 25, "plain", ""),
    ],
)  # fmt: skip
def test_good_urls_say_where_and_how(
    url: str, host: str, port: int, security: str, user: str
) -> None:
    endpoint = settings(smtp_url=url).smtp
    assert endpoint is not None
    assert (endpoint.host, endpoint.port, endpoint.security, endpoint.username) == (
        host,
        port,
        security,
        user,
    )
    assert PASSWORD not in str(endpoint) and PASSWORD not in repr(endpoint)


def test_the_password_is_percent_decoded() -> None:
    endpoint = settings(smtp_url="smtps://me:p%40ss%3Aw%2Fd@mail.example").smtp
    assert endpoint is not None and endpoint.password == "p@ss:w/d"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"http://me:{PASSWORD}@mail.example", "must start with smtp:// .* not http://"),
        (f"mail.example:{PASSWORD}", "must start with smtp://"),
        (f"smtp://me:{PASSWORD}@:587", "has no host"),
        ("smtp://", "has no host"),
        (f"smtp://me:{PASSWORD}@mail.example:99999?starttls=1", "invalid port: '99999'"),
        (f"smtp://me:{PASSWORD}@mail.example:0?starttls=1", "invalid port: '0'"),
        (f"smtp://me:{PASSWORD}@mail.example:smtp?starttls=1", "invalid port: 'smtp'"),
        (f"smtp://me:{PASSWORD}@mail.example/inbox?starttls=1", "no path"),
        (f"smtp://me:{PASSWORD}@mail.example?tls=1", "only option is starttls"),
        (f"smtp://me:{PASSWORD}@mail.example?starttls=maybe", "only option is starttls"),
        (f"smtps://me:{PASSWORD}@mail.example?starttls=1", "TLS from the start"),
        (f"smtp://me:{PASSWORD}@mail.example", "password unencrypted"),
        (f"smtp://:{PASSWORD}@mail.example?starttls=1", "both a user name and a password"),
        ("smtp://me@mail.example?starttls=1", "both a user name and a password"),
        (f"smtp://me:{PASSWORD}@mail.example?starttls=1\r\nX: y", "control characters"),
    ],
)
def test_bad_urls_are_refused_without_the_password(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        settings(smtp_url=url)
    assert PASSWORD not in str(raised.value)
    assert str(raised.value).startswith("smtp_url")


def test_a_bad_url_from_the_environment_stops_startup() -> None:
    with pytest.raises(ConfigError, match="smtp_url has no host"):
        load_settings(env={"ROSTRA_SECRET_KEY": SECRET, "ROSTRA_SMTP_URL": "smtps://"})


@pytest.mark.parametrize(
    ("sender", "message"),
    [
        ('"The Courier" <comments@news.example>\r\nBcc: x@y.z', "line break"),
        ("The Courier\n <comments@news.example>", "line break"),
        ("comments@news.example\0", "NUL character"),
        ("comments", "must be one address"),
        ("a@news.example, b@news.example", "must be one address"),
        ("The Courier <comments@-news.example>", "is not a mail address"),
        ("x" * 65 + "@news.example", "more than 64 characters before the @"),
        (f"{'N' * 201} <comments@news.example>", "name is longer than 200"),
    ],
)
def test_a_bad_mail_from_is_refused(sender: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"^mail_from.*{message}"):
        settings(mail_from=sender)


def test_a_good_mail_from_is_taken() -> None:
    given = '"The Courier" <comments@news.example>'
    assert settings(mail_from=given).mail_from == given


def test_the_timeout_is_at_least_a_second() -> None:
    with pytest.raises(ConfigError, match="smtp_timeout_seconds"):
        settings(smtp_timeout_seconds=0)


def test_production_mail_needs_a_sender_of_its_own() -> None:
    production = {
        "production": True,
        "public_url": "https://comments.news.example",
        "smtp_url": "smtps://mail.news.example",
    }
    with pytest.raises(ConfigError, match="needs mail_from"):
        settings(**production)
    ok = settings(**production, mail_from="The Courier <comments@news.example>")
    assert ok.smtp is not None
    assert settings(production=True, public_url="https://comments.news.example").smtp is None
