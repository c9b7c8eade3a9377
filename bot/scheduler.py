"""Maintenance jobs (end idle sessions, purge old message texts, PRAGMA optimize) and their
APScheduler 3.x ``AsyncIOScheduler``, which runs them inside the bot's own event loop.

The jobs are plain async methods with an injectable clock, so tests and ``supportbot cleanup``
run them directly; the scheduler only decides *when*. The purge works in small committed
batches and yields to the event loop between them, so customers are never kept waiting behind
it. A failing job logs and simply runs again at its next interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import can_optimize, optimize
from storage.models import utcnow
from storage.repositories import messages, sessions

log = logging.getLogger(__name__)

PURGE_BATCH_SIZE = 500
OPTIMIZE_INTERVAL_MINUTES = 6 * 60


@dataclass(slots=True)
class CleanupReport:
    """What one run did (or, dry, would do)."""

    sessions_ended: int = 0
    texts_purged: int = 0
    optimized: bool = False
    dry_run: bool = False

    def lines(self) -> list[str]:
        would = "would be " if self.dry_run else ""
        return [
            f"idle sessions {would}ended: {self.sessions_ended}",
            f"old message texts {would}purged: {self.texts_purged}",
            f"database {would}optimized: {'yes' if self.optimized else 'no'}",
        ]


class MaintenanceJobs:
    """The cleanup work itself, on one database."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        db_engine: AsyncEngine,
        *,
        session_ttl: timedelta,
        retention: timedelta,
        batch_size: int = PURGE_BATCH_SIZE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session_factory = session_factory
        self.db_engine = db_engine
        self.session_ttl = session_ttl
        self.retention = retention
        self.batch_size = batch_size
        self.clock = clock

    async def end_idle_sessions(self, *, dry_run: bool = False) -> int:
        """End bot sessions idle longer than the TTL (hand-offs stay open)."""
        async with self.session_factory() as s, s.begin():
            if dry_run:
                return await sessions.count_idle(session=s, ttl=self.session_ttl, now=self.clock())
            return await sessions.end_idle(session=s, ttl=self.session_ttl, now=self.clock())

    async def purge_old_texts(self, *, dry_run: bool = False) -> int:
        """Blank message texts older than the retention period, one committed batch at a time.

        Rows, modes and latencies stay, so statistics keep their counts.
        """
        now = self.clock()  # one cutoff for the whole run, however long it takes
        if dry_run:
            async with self.session_factory() as s:
                return await messages.count_purgeable(session=s, older_than=self.retention, now=now)
        total = 0
        while True:
            async with self.session_factory() as s, s.begin():
                purged = await messages.purge_texts(
                    session=s, older_than=self.retention, batch_size=self.batch_size, now=now
                )
            total += purged
            if purged < self.batch_size:
                return total
            await asyncio.sleep(0)  # let customers' messages in between batches

    async def optimize(self, *, dry_run: bool = False) -> bool:
        """Refresh the planner's statistics (``storage.db.optimize``); False where unsupported."""
        if dry_run:
            return can_optimize(self.db_engine)
        return await optimize(self.db_engine)

    async def run_once(self, *, dry_run: bool = False) -> CleanupReport:
        """Every job once, in order: what ``supportbot cleanup`` prints."""
        return CleanupReport(
            sessions_ended=await self.end_idle_sessions(dry_run=dry_run),
            texts_purged=await self.purge_old_texts(dry_run=dry_run),
            optimized=await self.optimize(dry_run=dry_run),
            dry_run=dry_run,
        )


def logged(name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """``job`` that logs its result or its failure and never raises into the scheduler."""

    async def run() -> None:
        try:
            result = await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("maintenance job %s failed; it runs again at its next interval", name)
            return
        log.debug("maintenance job %s: %s", name, result)

    run.__name__ = name
    return run


def build_scheduler(
    jobs: MaintenanceJobs,
    *,
    interval_minutes: int,
    optimize_interval_minutes: int = OPTIMIZE_INTERVAL_MINUTES,
) -> AsyncIOScheduler:
    """A scheduler with every maintenance job; call ``start()`` inside the running loop."""
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    every = {"trigger": "interval", "minutes": interval_minutes}
    scheduler.add_job(logged("end_idle_sessions", jobs.end_idle_sessions), id="end_idle", **every)
    scheduler.add_job(logged("purge_old_texts", jobs.purge_old_texts), id="purge", **every)
    scheduler.add_job(
        logged("optimize", jobs.optimize),
        id="optimize",
        trigger="interval",
        minutes=optimize_interval_minutes,
    )
    return scheduler
