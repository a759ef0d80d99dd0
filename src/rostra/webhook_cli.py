"""``rostra webhook``: a site's signed webhook endpoints from the command line.

``add SITE URL --event E ...`` checks the URL (http(s), no credentials or control characters,
and no private or loopback address unless ``webhook_allow_private_addresses``), stores the
endpoint and prints its secret, this once; ``list SITE`` shows each endpoint (never its secret);
``remove SITE ID`` deletes one with its delivery log. docs/webhooks.md says what is sent.
"""

from __future__ import annotations

import argparse
from typing import Any

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
    remove = hook_sub.add_parser("remove", help="delete an endpoint and its delivery log")
    remove.add_argument("site")
    remove.add_argument("id", type=int)
    hook.set_defaults(func=cmd_webhook)


def cmd_webhook(args: argparse.Namespace) -> int:
    from rostra.config import command_settings
    from rostra.domain.errors import N_, NotFound
    from rostra.services.webhooks import Webhooks
    from rostra.storage.database import create_engines
    from rostra.storage.repository import SqlStore
    from rostra.storage.webhooks import SqlWebhookStore

    settings = command_settings(args)
    engines = create_engines(settings.database_url)
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
            endpoint = hooks.add(site, args.url, args.event)
            print(f"added endpoint {endpoint.id} for {site.slug}: {endpoint.url}")
            print(f"secret (shown once; receivers verify signatures with it): {endpoint.secret}")
        elif command == "remove":
            hooks.remove(site, args.id)
            print(f"removed endpoint {args.id} of {site.slug}")
        else:
            for e in hooks.endpoints(site):
                state = (
                    "enabled" if e.enabled else f"disabled ({e.disabled_reason or 'by an admin'})"
                )
                events = ",".join(ev.value for ev in e.events)
                print(
                    f"{e.id}\t{e.url}\t{events}\t{state}\t"
                    f"failures in a row: {e.consecutive_failures}"
                )
    finally:
        engines.dispose()
    return 0
