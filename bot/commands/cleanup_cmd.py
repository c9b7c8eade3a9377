"""``supportbot cleanup [--dry-run]``: the scheduler's maintenance jobs, run once now."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.app import open_app
from bot.config import Settings
from bot.scheduler import CleanupReport


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cleanup", help="end idle sessions, purge old message texts, optimize the database"
    )
    parser.add_argument("--dry-run", action="store_true", help="report what would be done")
    parser.set_defaults(handler=cleanup)


async def run_cleanup(settings: Settings, *, dry_run: bool) -> CleanupReport:
    """Every maintenance job once on the configured database."""
    async with open_app(settings, load_model=False, load_index=False, import_demo=False) as app:
        return await app.jobs.run_once(dry_run=dry_run)


def cleanup(args: argparse.Namespace, settings: Settings) -> int:
    """Run (or, with --dry-run, count) the cleanup and print one line per job."""
    report = asyncio.run(run_cleanup(settings, dry_run=args.dry_run))
    for line in report.lines():
        print(line)
    return 0
