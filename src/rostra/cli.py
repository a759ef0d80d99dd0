"""The ``rostra`` command: serve, migrate, sites, staff accounts, moderation and the demo.

``--config`` and ``--database-url`` are accepted before the command or after it (``rostra serve
--config FILE``). A command that uses the database first checks that it can: a supported URL, a
server that answers and, except for the commands that migrate, the current schema; each failure
is one line on standard error that says what to do, and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from rostra import (
    __version__,
    funding_cli,
    jobs_cli,
    keys_cli,
    mail_cli,
    site_cli,
    staff_cli,
    thread_cli,
    webhook_cli,
)
from rostra.config import ConfigError, command_settings
from rostra.domain.errors import RostraError
from rostra.moderation import cli as moderation_cli

if TYPE_CHECKING:
    from rostra.demo.mail_sink import BoundController

#: The commands that need the current schema (the others have no database, or migrate it).
SCHEMA_COMMANDS = (
    "serve",
    "site",
    "staff",
    "thread",
    "worker",
    "jobs",
    "campaign",
    "donation",
)


def check_database(args: argparse.Namespace) -> None:
    """Refuse early, in one line, a database this command cannot use (see the module's doc)."""
    from rostra.storage.schema import preflight

    command = args.command
    migrating = command in ("migrate", "demo") or bool(getattr(args, "migrate", False))
    if command in SCHEMA_COMMANDS or migrating:
        preflight(command_settings(args).database_url, migrating=migrating)


def cmd_migrate(args: argparse.Namespace) -> int:
    from rostra.storage.database import create_engines
    from rostra.storage.migrate import upgrade

    settings = command_settings(args)
    engines = create_engines(settings.database_url)
    try:
        upgrade(engines.write)
    finally:
        engines.dispose()
    print("database is up to date")
    return 0


def cmd_serve(args: argparse.Namespace, factory: str = "rostra.app:create_app") -> int:
    import uvicorn

    from rostra.web.in_flight import REQUEST_BOARD_ENV, RequestBoard

    settings = command_settings(args)
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
    # Several workers share one request board, so each one's jobs runner gives way to the
    # requests of all of them (rostra.web.in_flight).
    with contextlib.ExitStack() as stack:
        os.environ.pop(REQUEST_BOARD_ENV, None)
        if settings.workers > 1:
            board = stack.enter_context(RequestBoard.create(settings.workers))
            os.environ[REQUEST_BOARD_ENV] = str(board)
        uvicorn.run(
            factory,
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


def cmd_demo(args: argparse.Namespace) -> int:
    from rostra.demo.seed import seed_demo

    settings = command_settings(args)
    site_url = f"http://{settings.host}:{settings.port}"
    desk = seed_demo(settings.database_url, origin=site_url, secret_key=settings.secret_key)
    print(
        f"moderation desk: {site_url}/moderation/ (user {desk.username}, "
        f"password {desk.password}; a new one on every start)"
    )
    if args.seed_only:
        return 0
    sink = start_demo_sink(settings.database_url, args.smtp_port, site_url)
    args.migrate = False
    try:
        return cmd_serve(args, factory="rostra.demo.app:create_demo_app")
    finally:
        sink.stop()


def start_demo_sink(database_url: str, port: int, site_url: str) -> BoundController:
    """The demo's SMTP sink on loopback (``port``, or one the kernel picks when that one is
    taken), with ``smtp_url`` pointed at it: the demo sends real mail that reaches nobody."""
    from rostra.demo.mail_sink import start_sink
    from rostra.demo.mailbox import Mailbox, mailbox_folder

    mailbox = Mailbox(mailbox_folder(database_url))
    try:
        sink = start_sink(mailbox, port=port)
    except OSError:
        sink = start_sink(mailbox, port=0)
    # The app's workers read their settings from the environment.
    os.environ["ROSTRA_SMTP_URL"] = sink.url
    print(
        f"mailbox: {site_url}/demo/mailbox shows every mail the demo sends (caught by {sink.url}); "
        f"try: ROSTRA_SMTP_URL={sink.url} rostra mail test you@example.org"
    )
    return sink


def _global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    # After the command the default is "not given", so it never hides the same option given
    # before the command.
    default = argparse.SUPPRESS if after_command else None
    parser.add_argument(
        "--config", default=default, help="TOML configuration file (see rostra.example.toml)"
    )
    parser.add_argument(
        "--database-url",
        dest="database_url",
        default=default,
        help="database URL: sqlite:///PATH or postgresql://USER@HOST/DB",
    )


def _commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every command and sub-command parser under ``parser``, once each."""
    seen: set[int] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if id(child) not in seen:
                    seen.add(id(child))
                    yield child
                    yield from _commands(child)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rostra", description="Rostra discussion server")
    parser.add_argument("--version", action="version", version=f"rostra {__version__}")
    _global_options(parser, after_command=False)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--migrate", action="store_true", help="migrate the database first")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="seed the demo site and serve it")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)
    demo.add_argument("--workers", type=int)
    demo.add_argument("--seed-only", action="store_true")
    demo.add_argument(
        "--smtp-port",
        type=int,
        default=1025,
        help="loopback port of the demo's mail sink (default 1025; another if it is taken)",
    )
    demo.set_defaults(func=cmd_demo)
    site_cli.register(sub)
    moderation_cli.register(sub)
    staff_cli.register(sub)
    thread_cli.register(sub)
    jobs_cli.register(sub)
    mail_cli.register(sub)
    keys_cli.register(sub)
    webhook_cli.register(sub)
    funding_cli.register(sub)
    for command in _commands(parser):
        _global_options(command, after_command=True)
    return parser


def _database_failure(exc: BaseException) -> str | None:
    """The one-line message for a database failure that got past the checks, else ``None``."""
    from sqlalchemy.exc import SQLAlchemyError

    from rostra.storage.database import DatabaseError, driver_reason

    if isinstance(exc, DatabaseError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        return "database error: " + driver_reason(exc)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_database(args)
        return int(args.func(args))
    except (ConfigError, RostraError, ValueError) as exc:
        print(f"rostra: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        message = _database_failure(exc)
        if message is None:
            raise
        print(f"rostra: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
