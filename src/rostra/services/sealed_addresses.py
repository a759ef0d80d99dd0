"""Readers' and staff's e-mail addresses at rest: sealed with AES-GCM, and re-sealed when the
secret changes.

``AddressBox`` seals with a key derived from the secret (HKDF-SHA256, a label of its own), the
owner as associated data — a subscriber's site, or a staff account as a negative number — so a
sealed address copied into another row does not open. ``rotate_addresses`` is what ``rostra keys
rotate-email`` runs: every stored address re-sealed and its keyed hash re-keyed, in one
transaction.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from rostra.services.ports import Store
from rostra.services.tokens import ReaderTokens, Signer

_SEAL_VERSION = "v1"
_HKDF_INFO = b"rostra subscriber address v1"


class AddressBox:
    """Seals addresses with AES-GCM under a key derived from the secret (HKDF-SHA256, its own
    label), the subscriber's site as associated data: a sealed address copied to another
    site's row does not open."""

    def __init__(self, secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            secret.encode("utf-8")
        )
        self._aead = AESGCM(key)

    def seal(self, address: str, site_id: int) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, address.encode("utf-8"), str(site_id).encode())
        return f"{_SEAL_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open(self, sealed: str, site_id: int) -> str:
        """The address, or ``ValueError`` (another key, another site, a damaged value)."""
        version, _, data = sealed.partition(".")
        if version != _SEAL_VERSION:
            raise ValueError("unknown sealed address version")
        raw = base64.urlsafe_b64decode(data.encode("ascii"))
        try:
            return self._aead.decrypt(raw[:12], raw[12:], str(site_id).encode()).decode("utf-8")
        except InvalidTag as exc:
            raise ValueError("the sealed address does not open with this key") from exc


def staff_associated_data(account_id: int) -> int:
    """What a staff alert address (rostra.services.desk_alerts) is sealed with: the account as a
    negative number (a site id never is), so subscribers' and staff's sealed addresses do not
    open in each other's rows."""
    return -account_id


def rotate_addresses(store: Store, old_secret: str, new_secret: str) -> tuple[int, int]:
    """Re-seal every stored address, subscribers' and staff alerts', under ``new_secret`` and
    re-key its hash, in one transaction: (re-sealed, already under the new secret). An address
    that opens with neither key stops the whole run with ``ValueError`` (nothing is changed)."""
    old_box, new_box = AddressBox(old_secret), AddressBox(new_secret)
    new_tokens = ReaderTokens(Signer(new_secret))
    moved = kept = 0

    def reopened(sealed: str, data: int, whose: str) -> str | None:
        """The address, when it is sealed under the old secret; None under the new one."""
        nonlocal kept
        try:
            new_box.open(sealed, data)
            kept += 1
            return None
        except ValueError:
            pass
        try:
            return old_box.open(sealed, data)
        except ValueError:
            raise ValueError(
                f"{whose} address opens with neither secret: "
                "is --old-secret-file the secret it was sealed with?"
            ) from None

    with store.write() as tx:
        for subscriber in tx.sealed_subscribers():
            assert subscriber.sealed_address is not None
            address = reopened(
                subscriber.sealed_address, subscriber.site_id, f"subscriber {subscriber.id}'s"
            )
            if address is None:
                continue
            email_hash = new_tokens.email_hash(address)
            tx.reseal(
                subscriber.id,
                f"e:{email_hash}",
                email_hash,
                new_box.seal(address, subscriber.site_id),
            )
            moved += 1
        for account_id, sealed in tx.sealed_staff_addresses():
            data = staff_associated_data(account_id)
            address = reopened(sealed, data, f"staff account {account_id}'s alert")
            if address is None:
                continue
            tx.reseal_staff_address(
                account_id, new_tokens.email_hash(address), new_box.seal(address, data)
            )
            moved += 1
    return moved, kept
