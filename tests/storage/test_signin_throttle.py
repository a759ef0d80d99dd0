"""The sign-in throttle holds under parallel guesses, on SQLite and PostgreSQL.

Each attempt is counted in one atomic upsert before its password is checked; parallel guesses
therefore see distinct counts, and no more than the limit of them ever reach the password check.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher

from rostra.domain.desk import Role
from rostra.domain.errors import TooManyRequests, Unauthorized
from rostra.services.staff import LoginLimits, StaffAccounts
from rostra.services.tokens import Signer
from rostra.storage.repository import SqlStore
from rostra.storage.staff import SqlStaffStore
from tests.conftest import SECRET

PASSWORD = "correct horse battery staple"
GUESSES = 12
LIMIT = 5


class CountingHasher(PasswordHasher):
    """argon2 with cheap parameters, counting how many passwords it was asked to check."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checked = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        with self._lock:
            self.checked += 1
        return super().verify(hash, password)


def accounts_for(store: SqlStore, hasher: CountingHasher, per_address: int = 100) -> StaffAccounts:
    return StaffAccounts(
        SqlStaffStore(store.engines),
        Signer(SECRET),
        limits=LoginLimits(window_seconds=900, per_username=LIMIT, per_address=per_address),
        hasher=hasher,
    )


def guess_in_parallel(accounts: StaffAccounts, username: str, address: str) -> list[str]:
    start = threading.Barrier(GUESSES)

    def guess(n: int) -> str:
        start.wait()  # every worker guesses at once
        try:
            accounts.sign_in(username, f"wrong guess number {n}", address)
        except Unauthorized:
            return "checked"
        except TooManyRequests:
            return "throttled"
        return "signed-in"

    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        return list(pool.map(guess, range(GUESSES)))


def test_parallel_guesses_at_one_user_name_never_exceed_the_limit(store: SqlStore) -> None:
    hasher = CountingHasher()
    accounts = accounts_for(store, hasher)
    accounts.create("mod", PASSWORD, Role.MODERATOR)
    hasher.checked = 0
    outcomes = guess_in_parallel(accounts, "mod", "203.0.113.7")
    assert outcomes.count("checked") == LIMIT, outcomes
    assert outcomes.count("throttled") == GUESSES - LIMIT
    assert hasher.checked == LIMIT
    # The right password is refused too now, before it is checked.
    with pytest.raises(TooManyRequests):
        accounts.sign_in("mod", PASSWORD, "198.51.100.1")
    assert hasher.checked == LIMIT


def test_parallel_guesses_from_one_address_never_exceed_its_limit(store: SqlStore) -> None:
    hasher = CountingHasher()
    accounts = accounts_for(store, hasher, per_address=3)
    start = threading.Barrier(GUESSES)

    def guess(n: int) -> str:
        start.wait()
        try:
            accounts.sign_in(f"name-{n}", "some wrong password", "203.0.113.8")
        except Unauthorized:
            return "checked"
        except TooManyRequests:
            return "throttled"
        return "signed-in"

    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        outcomes = list(pool.map(guess, range(GUESSES)))
    assert outcomes.count("checked") == 3, outcomes
    assert hasher.checked == 3


def test_successful_sign_ins_do_not_use_up_the_allowance(store: SqlStore) -> None:
    hasher = CountingHasher()
    accounts = accounts_for(store, hasher, per_address=LIMIT)
    accounts.create("mod", PASSWORD, Role.MODERATOR)
    for _ in range(LIMIT * 2):
        secret, _session = accounts.sign_in("mod", PASSWORD, "203.0.113.9")
        assert accounts.session(secret) is not None
    # The failures still count, up to the limit.
    for _ in range(LIMIT):
        with pytest.raises(Unauthorized):
            accounts.sign_in("mod", "not the password", "203.0.113.9")
    with pytest.raises(TooManyRequests):
        accounts.sign_in("mod", PASSWORD, "203.0.113.9")
