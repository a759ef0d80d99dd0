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


def test_issued_reader_ids_and_public_ids_never_repeat_across_blocks_and_forks() -> None:
    import os

    from rostra.services.tokens import new_public_id

    tokens = ReaderTokens(Signer("s" * 32))
    # Several blocks of the random pool's bytes: every id is new, and of the full length.
    ids = [tokens.issue(1).split(".")[1] for _ in range(1000)]
    assert len(set(ids)) == 1000 and {len(i) for i in ids} == {24}
    publics = {new_public_id() for _ in range(1000)}
    assert len(publics) == 1000 and {len(p) for p in publics} == {16}
    # A forked child does not hand out the ids its parent has left in its pool.
    new_public_id()  # the parent's pool now holds bytes it has not handed out
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, new_public_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    from_child = os.read(read, 64).decode()
    os.close(read)
    assert len(from_child) == 16 and from_child != new_public_id()
