"""The `mentorbot` command line: run, chat, frameworks, sync and db."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.config import Settings, get_settings
from bot.domain.frameworks import Catalogue, FrameworkError, load_framework
from bot.logs import configure_logging

NO_TOKEN = (
    "DISCORD_TOKEN is not set. Put your bot token in the environment or in .env "
    "(copy .env.example to start). To try the coach offline without Discord, run: "
    "mentorbot chat grow"
)


def _catalogue(settings: Settings) -> Catalogue:
    return Catalogue.load(settings.frameworks_dir)


def cmd_frameworks(args: argparse.Namespace, settings: Settings) -> int:
    """List the frameworks, or check one framework file."""
    if args.action == "check":
        if not args.file:
            print("usage: mentorbot frameworks check FILE", file=sys.stderr)
            return 2
        try:
            fw = load_framework(Path(args.file))
        except FrameworkError as exc:
            print(f"{exc.path}: invalid framework", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        print(f"{args.file}: ok ({fw.id}, {len(fw.stages)} stages)")
        return 0
    try:
        catalogue = _catalogue(settings)
    except (FrameworkError, ValueError) as exc:
        print(f"cannot load frameworks: {exc}", file=sys.stderr)
        return 1
    for fw in catalogue.listed():
        print(f"{fw.id}\t{fw.title}")
    return 0


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import ConsoleChat, console_member, optional_model, stdin_lines
    from bot.db.engine import create_engine, create_sessionmaker
    from bot.db.migrate import upgrade
    from bot.services.coaching import CoachingService

    catalogue = _catalogue(settings)
    if args.framework not in catalogue.ids():
        print(
            f"unknown framework '{args.framework}'; available: {', '.join(catalogue.ids())}",
            file=sys.stderr,
        )
        return 2
    await upgrade(settings.db_url)
    engine = create_engine(settings.db_url)
    try:
        async with optional_model(settings) as model:
            service = CoachingService(
                create_sessionmaker(engine),
                catalogue,
                default_timezone=settings.default_timezone,
                model=model,
            )
            chat = ConsoleChat(service, sys.stdout, as_json=args.json)
            member = console_member(args.member or os.environ.get("USER", "console"))
            return await chat.run(
                member, args.framework, stdin_lines(), resume=args.resume, topic=args.topic
            )
    finally:
        await engine.dispose()


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the SQLite database to PATH while the bot may be running."""
    from bot.db.backup import BackupError, backup_sqlite, human_size

    try:
        done = backup_sqlite(settings.db_url, Path(args.path), force=args.force)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"backed up {done.source} to {done.path}: {human_size(done.size)}, integrity ok")
    width = max((len(name) for name in done.tables), default=0)
    for name, rows in done.tables.items():
        print(f"  {name:<{width}}  {rows} {'row' if rows == 1 else 'rows'}")
    return 0


async def _db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import migrate

    if args.action == "upgrade":
        await migrate.upgrade(settings.db_url, args.revision or "head")
        print(f"database at {await migrate.current_revision(settings.db_url)}")
    elif args.action == "downgrade":
        await migrate.downgrade(settings.db_url, args.revision or "-1")
        print(f"database at {await migrate.current_revision(settings.db_url) or 'base'}")
    else:
        print(await migrate.current_revision(settings.db_url) or "base")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Start the bot."""
    if settings.discord_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.client import run_bot

    return run_bot(settings)


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    """Sync the slash commands globally (or to DISCORD_GUILD_ID)."""
    if settings.discord_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.client import sync_commands

    return asyncio.run(sync_commands(settings))


def build_parser() -> argparse.ArgumentParser:
    """Describe every subcommand and option."""
    parser = argparse.ArgumentParser(
        prog="mentorbot",
        description="A coaching bot that asks questions instead of giving answers.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)")
    chat = sub.add_parser("chat", help="hold a coaching conversation in the terminal")
    chat.add_argument("framework", help="framework id, e.g. grow (see: mentorbot frameworks)")
    chat.add_argument("--member", help="your name, or a Discord user id (default: $USER)")
    chat.add_argument("--topic", help="what you want to talk about, in a few words")
    chat.add_argument("--resume", action="store_true", help="continue your last open conversation")
    chat.add_argument("--json", action="store_true", help="one JSON object per coach message")
    fws = sub.add_parser("frameworks", help="list frameworks, or check a framework file")
    fws.add_argument("action", nargs="?", choices=["list", "check"], default="list")
    fws.add_argument("file", nargs="?", help="with check: the TOML file to validate")
    sub.add_parser("sync", help="sync slash commands with Discord")
    db = sub.add_parser("db", help="database migrations and backups")
    db_sub = db.add_subparsers(dest="action", required=True)
    up = db_sub.add_parser("upgrade", help="migrate the database up")
    up.add_argument("revision", nargs="?", help="target revision (default: head)")
    down = db_sub.add_parser("downgrade", help="migrate the database down")
    down.add_argument("revision", nargs="?", help="target revision (default: -1, one step)")
    db_sub.add_parser("current", help="print the database's revision")
    backup = db_sub.add_parser(
        "backup", help="copy the SQLite database to PATH (safe while the bot runs)"
    )
    backup.add_argument("path", help="the file to write, e.g. backups/mentorbot-2025-01-31.db")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        said: set[str] = set()
        for error in exc.errors():
            # One line per setting: a union type reports each of its alternatives.
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            if name not in said:
                said.add(name)
                print(f"{name}: {error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "frameworks":
        return cmd_frameworks(args, settings)
    if args.command == "chat":
        try:
            return asyncio.run(_chat(args, settings))
        except KeyboardInterrupt:
            return 130
    if args.command == "db" and args.action == "backup":
        return cmd_backup(args, settings)
    if args.command == "db":
        return asyncio.run(_db(args, settings))
    if args.command == "run":
        return cmd_run(args, settings)
    return cmd_sync(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
