"""``rostra thread``: staff set an article's title and URL, and get the key a CMS signs with.

Readers cannot change a thread's title or URL (see rostra.services.thread_meta); these are the
newsroom's ways to: by hand here, or by having its CMS sign what the embed tag says.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    thread = sub.add_parser("thread", help="an article's title and URL; the CMS signing key")
    thread_sub = thread.add_subparsers(dest="thread_command", required=True)
    show = thread_sub.add_parser("show", help="show a thread's title, URL and comment count")
    show.add_argument("site")
    show.add_argument("thread", help="the thread's id (data-rostra-thread)")
    update = thread_sub.add_parser("update", help="change a thread's title or URL")
    update.add_argument("site")
    update.add_argument("thread")
    update.add_argument("--title", help="the article's title")
    update.add_argument("--url", help="the article's address (http or https)")
    key = thread_sub.add_parser("key", help="print the key the site's CMS signs embed tags with")
    key.add_argument("site")
    thread.set_defaults(func=cmd_thread)


def cmd_thread(args: argparse.Namespace) -> int:
    from rostra.config import command_settings
    from rostra.services.discussion import Discussion
    from rostra.services.thread_meta import ThreadKeys
    from rostra.services.tokens import ReaderTokens, Signer
    from rostra.storage.database import create_engines
    from rostra.storage.repository import SqlStore

    settings = command_settings(args)
    engines = create_engines(settings.database_url)
    signer = Signer(settings.secret_key)
    keys = ThreadKeys(signer)
    discussion = Discussion(SqlStore(engines), ReaderTokens(signer), thread_keys=keys)
    try:
        site = discussion.site(args.site)
        if args.thread_command == "key":
            print(keys.key(site))
            return 0
        if args.thread_command == "update":
            if args.title is None and args.url is None:
                raise SystemExit("rostra thread update: give --title, --url or both")
            found = discussion.update_thread(site, args.thread, args.url, args.title)
        else:
            found = discussion.thread(site, args.thread)
        print(f"thread\t{found.external_id}\ntitle\t{found.title}\nurl\t{found.url}")
        print(f"comments\t{found.comment_count}")
    finally:
        engines.dispose()
    return 0
