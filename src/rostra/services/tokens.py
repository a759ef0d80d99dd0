"""Signed reader tokens and keyed hashes.

A guest's browser keeps a reader token: a random reader id, the site it belongs to and when it was
issued, signed with HMAC-SHA256 under the server secret. It proves authorship (edit, delete) and
deduplicates votes, without identifying anyone by IP. The database stores only a keyed hash of the
reader id (the "reader key"), so a leaked database yields no usable tokens. E-mail addresses are
stored the same way: a keyed hash, never the address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import threading
import time
from dataclasses import dataclass

from rostra.domain.errors import N_, Unauthorized

_VERSION = "r1"


class _RandomBytes:
    """The operating system's random bytes (``os.urandom``), read a block at a time.

    Every ``os.urandom`` call is a system call that lets go of the GIL; on the event loop, where
    a first-time reader's token is issued, the loop then waits for the GIL behind whichever
    thread took it (a post being written), up to the interpreter's switch interval. Reading a
    block serves a few hundred tokens per system call; each byte is handed out once. A forked
    child starts with an empty block, never with bytes its parent may also hand out.
    """

    BLOCK = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forget()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._block = b""
        self._used = 0

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._used + n > len(self._block):
                self._block = os.urandom(max(self.BLOCK, n))
                self._used = 0
            start = self._used
            self._used += n
            return self._block[start : self._used]


_random = _RandomBytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class ReaderIdentity:
    """What a valid token proves: this browser is reader ``reader_key`` on site ``site_id``."""

    reader_key: str
    site_id: int
    issued_at: int


class Signer:
    """Derives independent keys from one server secret, one per purpose."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 32:
            raise ValueError("the secret key must be at least 32 characters")
        self._root = secret.encode("utf-8")

    def key(self, purpose: str) -> bytes:
        return hmac.new(self._root, purpose.encode("utf-8"), hashlib.sha256).digest()

    def mac(self, purpose: str, message: str) -> str:
        return hmac.new(self.key(purpose), message.encode("utf-8"), hashlib.sha256).hexdigest()


class ReaderTokens:
    """Issues and verifies reader tokens, and computes keyed hashes of e-mail addresses."""

    def __init__(self, signer: Signer, max_age_seconds: int = 400 * 86400) -> None:
        self._sign_key = signer.key("reader-token")
        self._id_key = signer.key("reader-key")
        self._email_key = signer.key("email-hash")
        self._max_age = max_age_seconds

    def issue(self, site_id: int, now: float | None = None) -> str:
        reader_id = _b64(_random.take(18))
        issued = int(now if now is not None else time.time())
        payload = f"{_VERSION}.{reader_id}.{site_id}.{issued}"
        return f"{payload}.{self._signature(payload)}"

    def verify(self, token: str, site_id: int, now: float | None = None) -> ReaderIdentity:
        """Return the identity in ``token`` or raise ``Unauthorized`` (forged, foreign, expired)."""
        # Tokens are ASCII by construction; anything else (a header or cookie with "é") is
        # malformed, and must never reach compare_digest, which raises on non-ASCII text.
        if not token.isascii():
            raise Unauthorized(N_("The reader token is malformed."), code="token-malformed")
        parts = token.split(".")
        if len(parts) != 5 or parts[0] != _VERSION or len(token) > 200:
            raise Unauthorized(N_("The reader token is malformed."), code="token-malformed")
        payload, signature = ".".join(parts[:4]), parts[4]
        if not hmac.compare_digest(signature.encode(), self._signature(payload).encode()):
            raise Unauthorized(N_("The reader token is not valid."), code="token-invalid")
        _, reader_id, site_text, issued_text = parts[:4]
        if not site_text.isdigit() or int(site_text) != site_id:
            raise Unauthorized(
                N_("The reader token belongs to another site."), code="token-wrong-site"
            )
        issued = int(issued_text) if issued_text.isdigit() else 0
        current = now if now is not None else time.time()
        if issued > current + 300 or current - issued > self._max_age:
            raise Unauthorized(N_("The reader token has expired."), code="token-expired")
        return ReaderIdentity(self.reader_key(reader_id), site_id, issued)

    def reader_key(self, reader_id: str) -> str:
        return hmac.new(self._id_key, reader_id.encode(), hashlib.sha256).hexdigest()[:40]

    def email_hash(self, email: str) -> str:
        normal = email.strip().lower()
        return hmac.new(self._email_key, normal.encode("utf-8"), hashlib.sha256).hexdigest()

    def _signature(self, payload: str) -> str:
        return _b64(hmac.new(self._sign_key, payload.encode(), hashlib.sha256).digest()[:24])


def address_hash(key: bytes, address: str | None) -> str | None:
    """A keyed hash of a client's address, or ``None`` where the address tells nothing.

    A loopback or unparsable address is a local proxy speaking for every reader (Rostra behind a
    proxy that is not listed in ``trusted_proxies``): limiting it would limit everyone at once.
    The address itself is never stored anywhere.
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_unspecified:
        return None
    return hmac.new(key, ip.packed, hashlib.sha256).hexdigest()[:32]


def new_public_id() -> str:
    """An opaque, unguessable public id for a comment (16 url-safe characters)."""
    return _b64(_random.take(12))
