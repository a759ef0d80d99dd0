"""``rostra site``: add a newsroom's site, change its origins and settings, list and show sites.

Everything an operator writes is checked before it is stored (rostra.domain.site_settings and,
for ``moderation``, the moderation policy), and ``update --settings`` merges into the stored
settings unless ``--replace`` is given, so two updates of different settings both stay.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from rostra.config import json_object_option
from rostra.domain.models import Site


def register(sub: Any) -> None:
    site = sub.add_parser("site", help="manage sites")
    site_sub = site.add_subparsers(dest="site_command", required=True)
    add = site_sub.add_parser("add", help="add a site")
    add.add_argument("slug")
    add.add_argument("--name")
    add.add_argument(
        "--origin", action="append", help="allowed origin, e.g. https://news.example (repeatable)"
    )
    add.add_argument("--settings", help="site settings as a JSON object (see docs/sites.md)")
    upd = site_sub.add_parser("update", help="change a site's origins or settings")
    upd.add_argument("slug")
    upd.add_argument(
        "--origin", action="append", help="allowed origin (repeatable); replaces the list"
    )
    upd.add_argument(
        "--settings",
        help="JSON object merged into the stored settings (null removes a setting)",
    )
    upd.add_argument(
        "--replace", action="store_true", help="replace all the settings with --settings"
    )
    site_sub.add_parser("list", help="list sites")
    show = site_sub.add_parser("show", help="a site's origins and settings (JSON)")
    show.add_argument("slug")
    site.set_defaults(func=cmd_site)


def checked_settings(stored: dict[str, object], raw: str, *, replace: bool) -> dict[str, object]:
    """The settings to store: ``raw`` checked, then merged into ``stored`` (or replacing it).

    Raises :class:`~rostra.domain.errors.InvalidInput` for a bad site setting and
    :class:`~rostra.moderation.record.PolicyError` for a bad moderation one, each naming it.
    """
    from rostra.domain.site_settings import check_settings, merge_settings
    from rostra.moderation.policy import Policy

    changes = json_object_option(raw)
    check_settings(changes)
    merged = merge_settings({} if replace else stored, changes)
    moderation = merged.get("moderation")
    if isinstance(moderation, dict):  # check_settings refused any other kind
        Policy.from_settings(moderation)
    return merged


def _show(site: Site) -> str:
    from rostra.domain.donation_settings import masked
    from rostra.domain.site_settings import as_mapping

    settings = as_mapping(site.settings)
    if isinstance(settings.get("funding"), dict):  # the Stripe keys are never printed
        settings["funding"] = masked(site.settings.funding)
    return json.dumps(
        {
            "slug": site.slug,
            "name": site.name,
            "origins": list(site.allowed_origins),
            "settings": settings,
        },
        indent=2,
        sort_keys=True,
        ensure_ascii=False,
    )


def cmd_site(args: argparse.Namespace) -> int:
    from rostra.config import command_settings
    from rostra.domain.errors import N_, NotFound
    from rostra.domain.site_settings import as_mapping, normalise_origins
    from rostra.storage.database import create_engines
    from rostra.storage.repository import SqlStore

    command = args.site_command
    if command == "update" and args.replace and args.settings is None:
        raise ValueError("--replace needs --settings (the settings that replace the stored ones)")
    origins = normalise_origins(args.origin) if getattr(args, "origin", None) else None
    settings = command_settings(args)
    engines = create_engines(settings.database_url)
    store = SqlStore(engines)
    try:
        if command == "add":
            site_settings = checked_settings({}, args.settings or "{}", replace=True)
            site = store.create_site(
                args.slug, args.name or args.slug, origins or [], site_settings
            )
            print(f"created site {site.slug}")
        elif command in ("update", "show"):
            found = store.get_site(args.slug)
            if found is None:
                raise NotFound(
                    N_("There is no site called %(site)s."), code="site-not-found", site=args.slug
                )
            if command == "show":
                print(_show(found))
                return 0
            new_settings = (
                checked_settings(as_mapping(found.settings), args.settings, replace=args.replace)
                if args.settings is not None
                else None
            )
            site = store.update_site(args.slug, origins, new_settings)
            print(f"updated site {site.slug}")
        else:
            for site in store.list_sites():
                print(f"{site.slug}\t{site.name}\t{' '.join(site.allowed_origins)}")
    finally:
        engines.dispose()
    return 0
