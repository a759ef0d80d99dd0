"""Staff accounts (moderators and admins): passwords, sign-in with throttling, sessions, CSRF.

Passwords are hashed with argon2id (argon2-cffi's RFC 9106 low-memory profile) and rehashed on
sign-in when the parameters change. A session is a random secret in a cookie; the database keeps
only its SHA-256, so a leaked database opens no session. Sessions end after ``idle`` without use
and after ``lifetime`` whatever happens. Failed sign-ins are counted per user name and per client
address hash in fixed windows; past the limit, sign-in is refused with "too many requests" before
any password is checked, so guessing costs the attacker time, not the server CPU. Each attempt is
counted (atomically) before its password is checked, and a successful one is taken back, so
parallel guesses cannot slip past the limit together.

Each form of the moderation UI carries a CSRF token: an HMAC of the session secret, checked in
constant time (and the web layer also refuses cross-site requests by their Origin header).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rostra.domain.clock import utc_now
from rostra.domain.desk import Role, StaffAccount
from rostra.domain.errors import N_, Forbidden, InvalidInput, TooManyRequests, Unauthorized
from rostra.services.ports import StaffStore
from rostra.services.tokens import Signer

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD = 12
# argon2 hashes whatever it is given; a megabyte "password" is a denial-of-service attempt.
MAX_PASSWORD = 1024
MAX_DISPLAY_NAME = 200


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """Failed sign-ins allowed per window, per user name and per client address."""

    window_seconds: int = 900
    per_username: int = 5
    per_address: int = 20


@dataclass(frozen=True, slots=True)
class StaffSession:
    """A signed-in staff member, as each request of the moderation UI sees them."""

    account: StaffAccount
    csrf_token: str
    created_at: datetime


class StaffAccounts:
    """Create staff accounts, sign them in and out, and check their sessions."""

    def __init__(
        self,
        store: StaffStore,
        signer: Signer,
        *,
        clock: Callable[[], datetime] = utc_now,
        limits: LoginLimits | None = None,
        idle: timedelta = timedelta(hours=2),
        lifetime: timedelta = timedelta(hours=12),
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits or LoginLimits()
        self.idle = idle
        self.lifetime = lifetime
        self.hasher = hasher or PasswordHasher()
        self._csrf_key = signer.key("staff-csrf")
        self._throttle_key = signer.key("staff-login-throttle")
        self._dummy: str | None = None

    # -- accounts -------------------------------------------------------------------------
    def create(
        self,
        username: str,
        password: str,
        role: Role,
        site_ids: Sequence[int] = (),
        display_name: str = "",
    ) -> StaffAccount:
        name = self.check_username(username)
        self.check_password(password)
        shown = (display_name or username).strip()
        if not shown or len(shown) > MAX_DISPLAY_NAME or not shown.isprintable():
            raise InvalidInput(
                N_("The display name must be 1 to 200 printable characters."),
                field="display_name",
                code="invalid-display-name",
            )
        return self.store.create_account(
            name, shown, self.hasher.hash(password), role.value, site_ids, self.clock()
        )

    def set_password(self, account_id: int, password: str) -> None:
        self.check_password(password)
        updated = self.store.update_account(account_id, password_hash=self.hasher.hash(password))
        if updated is None:
            raise InvalidInput(N_("There is no such staff account."), code="account-not-found")
        # A new password ends every session opened with the old one.
        self.store.delete_sessions(account_id)

    # -- administration (admins only) ------------------------------------------------------
    @staticmethod
    def require_admin(actor: StaffAccount) -> None:
        if actor.role is not Role.ADMIN or actor.disabled:
            raise Forbidden(N_("Only admins manage staff accounts."), code="admins-only")

    def accounts(self, actor: StaffAccount) -> list[StaffAccount]:
        self.require_admin(actor)
        return self.store.list_accounts()

    def add(
        self,
        actor: StaffAccount,
        username: str,
        role: Role,
        site_ids: Sequence[int],
        display_name: str = "",
    ) -> tuple[StaffAccount, str]:
        """A new account with a random first password, shown once to the admin who made it."""
        self.require_admin(actor)
        password = secrets.token_urlsafe(12)
        return self.create(username, password, role, site_ids, display_name), password

    def change(
        self,
        actor: StaffAccount,
        account_id: int,
        role: Role,
        site_ids: Sequence[int],
        disabled: bool,
    ) -> StaffAccount:
        self.require_admin(actor)
        if account_id == actor.id and (disabled or role is not Role.ADMIN):
            # Otherwise the last admin could lock everyone out of the administration.
            raise InvalidInput(
                N_("You cannot disable your own account or give up your own admin role."),
                code="own-account",
            )
        updated = self.store.update_account(
            account_id, role=role.value, site_ids=site_ids, disabled=disabled
        )
        if updated is None:
            raise InvalidInput(N_("There is no such staff account."), code="account-not-found")
        return updated

    def reset_password(self, actor: StaffAccount, account_id: int) -> str:
        """A new random password for the account (its sessions end), shown once to the admin."""
        self.require_admin(actor)
        password = secrets.token_urlsafe(12)
        self.set_password(account_id, password)
        return password

    @staticmethod
    def check_username(username: str) -> str:
        name = username.strip().casefold()
        if not USERNAME.fullmatch(name):
            raise InvalidInput(
                N_(
                    "A user name is 2 to 64 letters, digits, dots, dashes or underscores, "
                    "starting with a letter or digit."
                ),
                field="username",
                code="invalid-username",
            )
        return name

    @staticmethod
    def check_password(password: str) -> None:
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidInput(
                N_("A password needs %(min)d to %(max)d characters."),
                field="password",
                code="invalid-password",
                min=MIN_PASSWORD,
                max=MAX_PASSWORD,
            )

    # -- signing in -----------------------------------------------------------------------
    def sign_in(
        self, username: str, password: str, client_key: str | None
    ) -> tuple[str, StaffSession]:
        """A new session (cookie secret, session) or an error; every failure is counted."""
        now = self.clock()
        stamp = int(now.timestamp())
        # Windows are named by their first second, like the moderation rate limits' counters.
        window = stamp - stamp % self.limits.window_seconds
        keys = self._throttle_keys(username, client_key)
        # The attempt is counted before anything is checked, in one atomic step per key: a
        # check-then-count let parallel guesses all pass the check before any was counted.
        counts = self.store.count_attempts([key for key, _ in keys], window)
        if any(count > limit for (_, limit), count in zip(keys, counts, strict=True)):
            raise TooManyRequests(
                N_("Too many failed sign-ins. Wait a few minutes, then try again."),
                retry_after=window + self.limits.window_seconds - stamp,
                code="sign-in-throttled",
            )
        found = None
        if len(password) <= MAX_PASSWORD and len(username) <= 200:
            found = self.store.account_login(username.strip().casefold())
        ok = False
        try:
            stored_hash = found[1] if found else self._dummy_hash()
            ok = self.hasher.verify(stored_hash, password[:MAX_PASSWORD]) and found is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok or found is None or found[0].disabled:
            raise Unauthorized(N_("The user name or the password is wrong."), code="sign-in-failed")
        # Only failures use up the allowance: a successful sign-in takes its attempt back.
        self.store.forget_attempts([key for key, _ in keys], window)
        account, stored_hash = found
        if self.hasher.check_needs_rehash(stored_hash):
            self.store.update_account(account.id, password_hash=self.hasher.hash(password))
        secret = secrets.token_urlsafe(32)
        self.store.create_session(_session_key(secret), account.id, now, now + self.lifetime)
        return secret, StaffSession(account, self.csrf_token(secret), now)

    def session(self, secret: str | None) -> StaffSession | None:
        """The live session behind a cookie secret, or ``None``; use slides the idle timeout."""
        # Session secrets are ASCII (token_urlsafe); a cookie with anything else opens nothing.
        if not secret or len(secret) > 100 or not secret.isascii():
            return None
        now = self.clock()
        key = _session_key(secret)
        found = self.store.session_account(key, now)
        if found is None:
            return None
        account, created_at, last_seen = found
        if account.disabled or now - last_seen > self.idle:
            self.store.delete_session(key)
            return None
        if now - last_seen > timedelta(minutes=1):
            self.store.touch_session(key, now, created_at + self.lifetime)
        return StaffSession(account, self.csrf_token(secret), created_at)

    def sign_out(self, secret: str | None) -> None:
        if secret and len(secret) <= 100 and secret.isascii():
            self.store.delete_session(_session_key(secret))

    def _dummy_hash(self) -> str:
        """Checked when the user name is unknown, so timing does not tell which names exist."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def csrf_token(self, secret: str) -> str:
        return hmac.new(self._csrf_key, secret.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, session: StaffSession, submitted: str | None) -> None:
        # Our tokens are ASCII: compare_digest raises on non-ASCII text, and a forged field with
        # "é" in it is a refusal like any other, not a server error.
        if (
            not submitted
            or not submitted.isascii()
            or not hmac.compare_digest(session.csrf_token.encode(), submitted[:200].encode())
        ):
            raise Forbidden(
                N_(
                    "This form has expired or was not sent from the moderation pages. Reload the "
                    "page and try again."
                ),
                code="csrf-failed",
            )

    def _throttle_keys(self, username: str, client_key: str | None) -> list[tuple[str, int]]:
        name = username.strip().casefold()[:200]
        user = hmac.new(self._throttle_key, name.encode(), hashlib.sha256).hexdigest()[:32]
        keys = [(f"login:u:{user}", self.limits.per_username)]
        if client_key:
            # The address is counted under a keyed hash: the database never holds it.
            address = hmac.new(self._throttle_key, b"a:" + client_key.encode(), hashlib.sha256)
            keys.append((f"login:a:{address.hexdigest()[:32]}", self.limits.per_address))
        return keys


def _session_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
