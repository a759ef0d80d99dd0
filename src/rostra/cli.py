"""The ``rostra`` command: serve, migrate, sites, staff accounts, moderation and the demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from rostra import staff_cli, thread_cli
from rostra.config import ConfigError, Settings, load_settings
from rostra.domain.errors import RostraError
from rostra.moderation import cli as moderation_cli


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    for name in ("database_url", "host", "port", "workers"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return load_settings(getattr(args, "config", None), **overrides)


def cmd_migrate(args: argparse.Namespace) -> int:
    from rostra.storage.database import create_engines
    from rostra.storage.migrate import upgrade

    settings = _settings(args)
    engines = create_engines(settings.database_url)
    upgrade(engines.write)
    engines.dispose()
    print("database is up to date")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)
    if args.migrate:
        cmd_migrate(args)
    # One BLAS thread per worker: the workers already use every core, and the classifier's
    # numpy would otherwise start a thread per core in each of them.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Workers re-read settings from the environment, so pass what the command line chose.
    os.environ["ROSTRA_DATABASE_URL"] = settings.database_url
    os.environ["ROSTRA_SECRET_KEY"] = settings.secret_key
    if getattr(args, "config", None):
        os.environ["ROSTRA_CONFIG"] = str(args.config)
    uvicorn.run(
        "rostra.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=settings.access_log,
        proxy_headers=False,  # Rostra applies its own trusted-proxy rule (settings).
        server_header=False,
        log_level="info",
    )
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    from rostra.storage.database import create_engines
    from rostra.storage.repository import SqlStore

    settings = _settings(args)
    engines = create_engines(settings.database_url)
    store = SqlStore(engines)
    try:
        if args.site_command == "add":
            site_settings = json.loads(args.settings) if args.settings else {}
            if not isinstance(site_settings, dict):
                raise ValueError("--settings must be a JSON object")
            site = store.create_site(
                args.slug, args.name or args.slug, args.origin or [], site_settings
            )
            print(f"created site {site.slug}")
        elif args.site_command == "update":
            site_settings = json.loads(args.settings) if args.settings else None
            site = store.update_site(args.slug, args.origin, site_settings)
            print(f"updated site {site.slug}")
        else:
            for site in store.list_sites():
                print(f"{site.slug}\t{site.name}\t{' '.join(site.allowed_origins)}")
    finally:
        engines.dispose()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from rostra.demo.seed import seed_demo

    settings = _settings(args)
    site_url = f"http://{settings.host}:{settings.port}"
    desk = seed_demo(settings.database_url, origin=site_url)
    print(
        f"moderation desk: {site_url}/moderation/ (user {desk.username}, "
        f"password {desk.password}; a new one on every start)"
    )
    if args.seed_only:
        return 0
    args.migrate = False
    return cmd_serve(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rostra", description="Rostra discussion server")
    parser.add_argument("--config", help="TOML configuration file (see rostra.example.toml)")
    parser.add_argument("--database-url", dest="database_url", help="database URL")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--migrate", action="store_true", help="migrate the database first")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(func=cmd_migrate)

    site = sub.add_parser("site", help="manage sites")
    site_sub = site.add_subparsers(dest="site_command", required=True)
    add = site_sub.add_parser("add", help="add a site")
    add.add_argument("slug")
    add.add_argument("--name")
    add.add_argument("--origin", action="append", help="allowed origin (repeatable)")
    add.add_argument("--settings", help="site settings as a JSON object")
    upd = site_sub.add_parser("update", help="change a site's origins or settings")
    upd.add_argument("slug")
    upd.add_argument("--origin", action="append")
    upd.add_argument("--settings")
    site_sub.add_parser("list", help="list sites")
    site.set_defaults(func=cmd_site)

    demo = sub.add_parser("demo", help="seed the demo site and serve it")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)
    demo.add_argument("--workers", type=int)
    demo.add_argument("--seed-only", action="store_true")
    demo.set_defaults(func=cmd_demo)
    moderation_cli.register(sub)
    staff_cli.register(sub)
    thread_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, RostraError, ValueError) as exc:
        print(f"rostra: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
