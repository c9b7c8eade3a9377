"""``supportbot cleanup [--dry-run]``: the scheduler's maintenance jobs, run once now."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import Any

from bot.app import open_engine
from bot.config import Settings
from bot.scheduler import CleanupReport, MaintenanceJobs
from storage import migrations
from storage.db import make_session_factory


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cleanup", help="end idle sessions, purge old message texts, optimize the database"
    )
    parser.add_argument("--dry-run", action="store_true", help="report what would be done")
    parser.set_defaults(handler=cleanup)


async def run_cleanup(settings: Settings, *, dry_run: bool) -> CleanupReport:
    """Every maintenance job once on the configured database."""
    db_engine = open_engine(settings)
    try:
        await migrations.upgrade(db_engine)
        jobs = MaintenanceJobs(
            make_session_factory(db_engine),
            db_engine,
            session_ttl=timedelta(minutes=settings.session_ttl_minutes),
            retention=timedelta(days=settings.retention_days),
        )
        return await jobs.run_once(dry_run=dry_run)
    finally:
        await db_engine.dispose()


def cleanup(args: argparse.Namespace, settings: Settings) -> int:
    """Run (or, with --dry-run, count) the cleanup and print one line per job."""
    report = asyncio.run(run_cleanup(settings, dry_run=args.dry_run))
    for line in report.lines():
        print(line)
    return 0
