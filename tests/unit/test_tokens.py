"""Reader tokens: issued, verified, and refused when forged, foreign, expired or malformed."""

from __future__ import annotations

import pytest

from rostra.domain.errors import Unauthorized
from rostra.services.tokens import ReaderTokens, Signer

TOKENS = ReaderTokens(Signer("k" * 40), max_age_seconds=100)


def test_round_trip_gives_a_stable_reader_key() -> None:
    token = TOKENS.issue(site_id=3, now=1000)
    first = TOKENS.verify(token, 3, now=1001)
    assert first.reader_key == TOKENS.verify(token, 3, now=1050).reader_key
    assert TOKENS.verify(TOKENS.issue(3, now=1000), 3, now=1000).reader_key != first.reader_key


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), "token-invalid"),
        (lambda t: t.replace(".3.", ".4.", 1), "token-invalid"),
        (lambda t: "garbage", "token-malformed"),
        (lambda t: t + ".x", "token-malformed"),
        (lambda t: "r1." + "a" * 300, "token-malformed"),
    ],
)
def test_tampered_tokens_are_refused(mutate, code) -> None:  # type: ignore[no-untyped-def]
    token = TOKENS.issue(site_id=3, now=1000)
    with pytest.raises(Unauthorized) as exc:
        TOKENS.verify(mutate(token), 3, now=1001)
    assert exc.value.code == code


def test_token_of_another_site_or_key_is_refused() -> None:
    token = TOKENS.issue(site_id=3, now=1000)
    with pytest.raises(Unauthorized) as exc:
        TOKENS.verify(token, 4, now=1001)
    assert exc.value.code == "token-wrong-site"
    other = ReaderTokens(Signer("z" * 40))
    with pytest.raises(Unauthorized):
        other.verify(token, 3, now=1001)


def test_expired_token_is_refused() -> None:
    token = TOKENS.issue(site_id=3, now=1000)
    with pytest.raises(Unauthorized) as exc:
        TOKENS.verify(token, 3, now=1200)
    assert exc.value.code == "token-expired"


def test_email_hash_is_keyed_and_case_insensitive() -> None:
    assert TOKENS.email_hash("Ada@Example.org ") == TOKENS.email_hash("ada@example.org")
    assert ReaderTokens(Signer("z" * 40)).email_hash("ada@example.org") != TOKENS.email_hash(
        "ada@example.org"
    )
