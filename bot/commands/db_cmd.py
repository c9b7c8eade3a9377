"""``supportbot db upgrade|current``: schema migrations of the configured database."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.app import open_engine
from bot.config import Settings, UsageError, UserFacingError
from storage import migrations
from storage.db import StorageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("db", help="database migrations")
    db_commands = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="migrate the database to the newest schema")
    upgrade.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    upgrade.set_defaults(handler=upgrade_database)
    current = db_commands.add_parser("current", help="print the database's schema revision")
    current.set_defaults(handler=show_current)


def upgrade_database(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the database to ``args.revision``."""

    async def run() -> str | None:
        engine = open_engine(settings)
        try:
            await migrations.upgrade(engine, args.revision)
            return await migrations.current_revision(engine)
        finally:
            await engine.dispose()

    revision = run_storage(run())
    print(f"database at revision {revision}")
    return 0


def show_current(args: argparse.Namespace, settings: Settings) -> int:
    """Print the database revision and whether it is the newest."""

    async def run() -> str | None:
        engine = open_engine(settings)
        try:
            return await migrations.current_revision(engine)
        finally:
            await engine.dispose()

    revision = run_storage(run())
    head = migrations.head_revision()
    state = "head" if revision == head else f"behind head {head}; run `supportbot db upgrade`"
    print(f"{revision or 'empty'} ({state})")
    return 0


def run_storage(coroutine: Any) -> Any:
    """Run a storage coroutine; database failures become one clear line."""
    try:
        return asyncio.run(coroutine)
    except StorageError as exc:
        raise UsageError(f"SUPPORTBOT_DATABASE_URL: {exc}") from None
    except SQLAlchemyError as exc:
        raise UserFacingError(f"database error: {exc.__class__.__name__}: {exc}") from None
