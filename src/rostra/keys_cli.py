"""``rostra keys rotate-email --old-secret-file F``: after changing ``secret_key``, re-seal every
stored address — readers' subscriptions and staff accounts' alert addresses — under the new one
(and re-key its lookup hash), in one transaction.

Run it once the new secret is in the configuration, with the old one in a file (never on the
command line, where other users and the shell history see it). A rerun finds nothing to do; an
address that opens with neither secret stops the run with nothing changed.

What else the secret signs or keys, and what a new one does to it (a rotation cannot carry
these over, since only their keyed hashes or signatures are kept): reader tokens (guests lose
authorship of earlier comments and their votes count anew), the desk's form tokens (an open
desk page must be reloaded; sessions stay), the CMS's thread signatures (sites must sign with
the new key: ``rostra thread key``), the links in mails already sent (confirm, unsubscribe,
manage: no longer valid), the e-mail hashes stored on comments and in e-mail bans (they no longer
match the same address), and the keyed counters of rate limits and sign-in throttles (they start
again from zero).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rostra.config import ConfigError, command_settings
from rostra.services.sealed_addresses import rotate_addresses
from rostra.storage.database import create_engines
from rostra.storage.repository import SqlStore
from rostra.storage.schema import preflight


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="keys derived from the secret key")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    rotate = keys_sub.add_parser(
        "rotate-email",
        help="re-seal stored subscriber and staff alert addresses under the current secret_key",
    )
    rotate.add_argument(
        "--old-secret-file",
        required=True,
        type=Path,
        help="a file holding the secret_key the addresses were sealed with",
    )
    keys.set_defaults(func=cmd_keys)


def cmd_keys(args: argparse.Namespace) -> int:
    settings = command_settings(args)
    try:
        old = args.old_secret_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read {args.old_secret_file}: {exc.strerror}") from None
    if len(old) < 32:
        raise ConfigError(f"{args.old_secret_file} does not hold a secret key of 32+ characters")
    if old == settings.secret_key:
        raise ConfigError("the old secret is the current secret_key: there is nothing to rotate")
    preflight(settings.database_url)
    store = SqlStore(create_engines(settings.database_url))
    try:
        moved, kept = rotate_addresses(store, old, settings.secret_key)
    finally:
        store.close()
    print(f"re-sealed {moved} address(es) under the current secret_key; {kept} already were")
    return 0
