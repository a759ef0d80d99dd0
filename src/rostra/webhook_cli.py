"""``rostra webhook``: a site's signed webhook endpoints from the command line.

``add SITE URL --event E ...`` checks the URL (http(s), no credentials or control characters,
and no private or loopback address unless ``webhook_allow_private_addresses``), stores the
endpoint and prints its secret, this once; ``list SITE`` shows each endpoint (never its secret),
and for one Rostra disabled after failures in a row, when, after how many, the last error and
how to enable it again; ``edit SITE ID [--url URL] [--event E ...]`` changes its address or
events, checked as when adding; ``enable`` (which resets its count of failures) and
``disable SITE ID``; ``rotate-secret SITE ID`` prints a new secret, this once; ``remove SITE
ID`` deletes one with its delivery log. Each change is written to the site's audit log under
the operator's login name, marked as made at the command line. docs/webhooks.md says what is
sent.
"""

from __future__ import annotations

import argparse
import getpass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rostra.domain.webhooks import Endpoint

EVENT_NAMES = ("comment.published", "comment.held", "comment.reported", "comment.decided")


def register(sub: Any) -> None:
    hook = sub.add_parser("webhook", help="manage a site's signed webhook endpoints")
    hook_sub = hook.add_subparsers(dest="webhook_command", required=True)
    add = hook_sub.add_parser("add", help="add an endpoint; prints its secret once")
    add.add_argument("site")
    add.add_argument("url")
    add.add_argument(
        "--event",
        action="append",
        choices=EVENT_NAMES,
        required=True,
        help="an event to send it (repeatable)",
    )
    listing = hook_sub.add_parser("list", help="a site's endpoints")
    listing.add_argument("site")
    edit = hook_sub.add_parser("edit", help="change an endpoint's address or events")
    edit.add_argument("site")
    edit.add_argument("id", type=int)
    edit.add_argument("--url", help="its new address")
    edit.add_argument(
        "--event",
        action="append",
        choices=EVENT_NAMES,
        help="the events to send it from now on (repeatable; replaces the list)",
    )
    for name, what in (
        ("enable", "send events to an endpoint again; its count of failures starts at zero"),
        ("disable", "stop sending events to an endpoint"),
        ("rotate-secret", "give an endpoint a new secret; prints it once"),
        ("remove", "delete an endpoint and its delivery log"),
    ):
        one = hook_sub.add_parser(name, help=what)
        one.add_argument("site")
        one.add_argument("id", type=int)
    hook.set_defaults(func=cmd_webhook)


def operator() -> str:
    """Who runs the command, for the audit log: the login name, marked as the command line."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "operator"
    return f"{login} (command line)"


def cmd_webhook(args: argparse.Namespace) -> int:
    from rostra.config import command_settings
    from rostra.domain.errors import N_, NotFound
    from rostra.domain.webhooks import Actor
    from rostra.services.webhooks import Webhooks
    from rostra.storage.database import create_engines
    from rostra.storage.repository import SqlStore
    from rostra.storage.webhooks import SqlWebhookStore

    settings = command_settings(args)
    engines = create_engines(settings.database_url)
    actor = Actor(None, operator())
    try:
        site = SqlStore(engines).get_site(args.site)
        if site is None:
            raise NotFound(
                N_("There is no site called %(site)s."), code="site-not-found", site=args.site
            )
        hooks = Webhooks(
            SqlWebhookStore(engines), allow_private=settings.webhook_allow_private_addresses
        )
        command = args.webhook_command
        if command == "add":
            endpoint = hooks.add(site, args.url, args.event, actor)
            print(f"added endpoint {endpoint.id} for {site.slug}: {endpoint.url}")
            print(f"secret (shown once; receivers verify signatures with it): {endpoint.secret}")
        elif command == "edit":
            was = hooks.get(site, args.id)
            events = args.event or [e.value for e in was.events]
            endpoint = hooks.edit(site, args.id, args.url or was.url, events, actor)
            print(f"endpoint {endpoint.id} of {site.slug}: {endpoint.url} ({','.join(events)})")
        elif command in ("enable", "disable"):
            endpoint = hooks.set_enabled(site, args.id, command == "enable", actor)
            print(f"endpoint {endpoint.id} of {site.slug} {command}d")
        elif command == "rotate-secret":
            endpoint = hooks.rotate_secret(site, args.id, actor)
            print(f"new secret for endpoint {endpoint.id} of {site.slug} (shown once; the old")
            print(f"one no longer signs deliveries): {endpoint.secret}")
        elif command == "remove":
            hooks.remove(site, args.id, actor)
            print(f"removed endpoint {args.id} of {site.slug}")
        else:
            for e in hooks.endpoints(site):
                _show(site.slug, e)
    finally:
        engines.dispose()
    return 0


def _show(slug: str, e: Endpoint) -> None:
    if e.enabled:
        state = "enabled"
    elif e.disabled_reason:
        when = e.disabled_at.strftime("%Y-%m-%d %H:%M UTC") if e.disabled_at else "?"
        state = (
            f"DISABLED after {e.consecutive_failures} failures on {when}: {e.disabled_reason}"
            f" (fix the receiver, then: rostra webhook enable {slug} {e.id})"
        )
    else:
        state = "disabled by an admin"
    events = ",".join(ev.value for ev in e.events)
    print(f"{e.id}\t{e.url}\t{events}\t{state}\tfailures in a row: {e.consecutive_failures}")
