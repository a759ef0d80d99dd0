"""``rostra staff``: create and manage moderator and admin accounts from the command line.

Passwords are read from standard input (``--password-stdin``, for scripts) or asked for without
echo; they never appear on the command line, where other users of the machine could see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from rostra.domain.desk import Role
from rostra.domain.errors import N_, InvalidInput, NotFound


def register(sub: Any) -> None:
    staff = sub.add_parser("staff", help="manage moderator and admin accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="create a staff account")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.MODERATOR.value)
    add.add_argument("--site", action="append", default=[], help="site it moderates (repeatable)")
    add.add_argument("--display-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    passwd = staff_sub.add_parser("passwd", help="set a staff account's password")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    sites = staff_sub.add_parser("sites", help="set the sites a moderator moderates")
    sites.add_argument("username")
    sites.add_argument("--site", action="append", default=[])
    for name in ("disable", "enable"):
        staff_sub.add_parser(name, help=f"{name} a staff account").add_argument("username")
    staff_sub.add_parser("list", help="list staff accounts")
    alerts = staff_sub.add_parser("alerts", help="set a staff account's moderator alerts")
    alerts.add_argument("username")
    alerts.add_argument("--email", default="", help="where alerts go (empty: no address)")
    alerts.add_argument(
        "--cadence",
        choices=["off", "immediate", "hourly", "daily"],
        default="immediate",
        help="how often (anything but off needs a mail server: smtp_url)",
    )
    alerts.add_argument("--language", default="", help="en, fr… (left out: the site's)")
    staff.set_defaults(func=cmd_staff)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise InvalidInput(N_("The two passwords differ."), code="password-mismatch")
    return first


def cmd_staff(args: argparse.Namespace) -> int:
    from rostra.config import command_settings
    from rostra.services.staff import StaffAccounts
    from rostra.services.tokens import Signer
    from rostra.storage.database import create_engines
    from rostra.storage.repository import SqlStore
    from rostra.storage.staff import SqlStaffStore

    settings = command_settings(args)
    engines = create_engines(settings.database_url)
    store = SqlStore(engines)
    staff_store = SqlStaffStore(engines)
    accounts = StaffAccounts(staff_store, Signer(settings.secret_key))
    try:

        def site_ids(slugs: list[str]) -> list[int]:
            found = []
            for slug in slugs:
                site = store.get_site(slug)
                if site is None:
                    raise NotFound(N_("There is no site called %(site)s."), site=slug)
                found.append(site.id)
            return found

        def account_id(username: str) -> int:
            found = staff_store.account_login(accounts.check_username(username))
            if found is None:
                raise NotFound(N_("There is no such staff account."), code="account-not-found")
            return found[0].id

        command = args.staff_command
        if command == "add":
            ids = site_ids(args.site)
            made = accounts.create(
                args.username, _password(args), Role(args.role), ids, args.display_name
            )
            print(f"created {made.role.value} {made.username}")
        elif command == "passwd":
            accounts.set_password(account_id(args.username), _password(args))
            print("password changed; every open session of this account has ended")
        elif command == "sites":
            staff_store.update_account(account_id(args.username), site_ids=site_ids(args.site))
            print("sites updated")
        elif command == "alerts":
            from rostra.app import staff_alerts_service
            from rostra.services.desk_alerts import masked

            account = staff_store.account_login(accounts.check_username(args.username))
            if account is None:
                raise NotFound(N_("There is no such staff account."), code="account-not-found")
            view = staff_alerts_service(settings, engines).change(
                account[0], args.email, args.cadence, args.language
            )
            # The address only masked: the terminal's scrollback is not its owner's alone.
            print(f"alerts {view.cadence.value} to {masked(view.address) or 'no address'}")
        elif command in ("disable", "enable"):
            staff_store.update_account(account_id(args.username), disabled=command == "disable")
            print(f"account {command}d")
        else:
            slugs = {s.id: s.slug for s in store.list_sites()}
            for a in staff_store.list_accounts():
                where = (
                    "all sites"
                    if a.role is Role.ADMIN
                    else ",".join(sorted(slugs.get(i, str(i)) for i in a.site_ids))
                )
                state = " (disabled)" if a.disabled else ""
                print(f"{a.username}\t{a.role.value}\t{where}{state}")
    finally:
        engines.dispose()
    return 0
