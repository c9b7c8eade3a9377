"""Maintenance jobs (end idle sessions, purge old message texts and delivered updates, PRAGMA
optimize) and their
APScheduler 3.x ``AsyncIOScheduler``, which runs them inside the bot's own event loop.

The jobs are plain async methods with an injectable clock, so tests and ``supportbot cleanup``
run them directly; the scheduler only decides *when*. The purge works in small committed
batches and yields to the event loop between them, so customers are never kept waiting behind
it. A failing job logs and simply runs again at its next interval.

Several instances on one database each run this scheduler, but every job runs once per interval
across the fleet: before a run the instance takes the job's lease row for one interval
(``storage.repositories.fleet.take``); whoever holds it runs the job and records the run, the
others skip. An instance that dies leaves the lease to expire. Long polling is single-instance:
``PollerLease`` holds a lease with a heartbeat, and a second poller on the same database is
refused with one line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psutil
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import UserFacingError
from bot.delivery import REDELIVERY_HORIZON
from bot.observability.logs import log_context, new_request_id
from storage.db import can_optimize, optimize
from storage.models import utcnow
from storage.repositories import fleet, inbox, messages, sessions

log = logging.getLogger(__name__)

PURGE_BATCH_SIZE = 500
OPTIMIZE_INTERVAL_MINUTES = 6 * 60
POLLER_LEASE = "telegram-poller"
POLLER_LEASE_TTL = timedelta(seconds=60)  # a dead poller's slot is free after this
POLLER_HEARTBEAT_SECONDS = 20.0


def instance_name(configured: str | None = None) -> str:
    """This instance in leases, job runs and metrics: the setting, or ``hostname:pid``."""
    return configured or f"{socket.gethostname()}:{os.getpid()}"


def dead_local_process(holder: str) -> bool:
    """True when ``holder`` names (``hostname:pid``) a process of this machine that is gone."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return not psutil.pid_exists(int(pid))


@dataclass(slots=True)
class CleanupReport:
    """What one run did (or, dry, would do)."""

    sessions_ended: int = 0
    texts_purged: int = 0
    delivered_purged: int = 0
    optimized: bool = False
    dry_run: bool = False

    def lines(self) -> list[str]:
        would = "would be " if self.dry_run else ""
        return [
            f"idle sessions {would}ended: {self.sessions_ended}",
            f"old message texts {would}purged: {self.texts_purged}",
            f"delivered updates {would}forgotten: {self.delivered_purged}",
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
        holder: str | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.db_engine = db_engine
        self.session_ttl = session_ttl
        self.retention = retention
        self.batch_size = batch_size
        self.clock = clock
        self.holder = instance_name(holder)

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

    async def purge_delivered(self, *, dry_run: bool = False) -> int:
        """Forget inbox items (every channel's, with their outbox rows) done before the
        redelivery horizon: they hold customers' texts and replies and only served to recognise
        a redelivered update, which cannot come any more."""
        before = self.clock() - REDELIVERY_HORIZON
        async with self.session_factory() as s, s.begin():
            if dry_run:
                return await inbox.count_done(session=s, before=before)
            return await inbox.purge_done(session=s, before=before)

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
            delivered_purged=await self.purge_delivered(dry_run=dry_run),
            optimized=await self.optimize(dry_run=dry_run),
            dry_run=dry_run,
        )

    async def once_per_interval(
        self, name: str, interval: timedelta, job: Callable[[], Awaitable[object]]
    ) -> bool:
        """Run ``job`` unless another instance holds its lease for this interval.

        Returns whether this instance ran it; the run (and how it ended) is recorded either way
        it ends, and a failure is re-raised after recording.
        """
        async with self.session_factory() as s, s.begin():
            now = self.clock()
            lease = f"job:{name}"
            if not await fleet.take(
                session=s, name=lease, holder=self.holder, ttl=interval, now=now
            ):
                log.debug("maintenance job %s: another instance runs it this interval", name)
                return False
            run_id = await fleet.start_run(session=s, job=name, holder=self.holder, now=now)
        try:
            result = await job()
        except BaseException as exc:
            await self._finish(run_id, ok=False, result=f"{type(exc).__name__}: {exc}")
            raise
        await self._finish(run_id, ok=True, result=str(result))
        return True

    async def _finish(self, run_id: int, *, ok: bool, result: str) -> None:
        async with self.session_factory() as s, s.begin():
            await fleet.finish_run(session=s, run_id=run_id, ok=ok, result=result, now=self.clock())


def logged(name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """``job`` that logs its result or its failure and never raises into the scheduler."""

    async def run() -> None:
        with log_context(request_id=f"job-{name}-{new_request_id()}"):
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


def fleet_job(
    jobs: MaintenanceJobs, name: str, interval: timedelta, job: Callable[[], Awaitable[object]]
) -> Callable[[], Awaitable[None]]:
    """``job`` run at most once per ``interval`` across the fleet, logged, never raising."""
    return logged(name, lambda: jobs.once_per_interval(name, interval, job))


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
    every = timedelta(minutes=interval_minutes)
    rarely = timedelta(minutes=optimize_interval_minutes)
    for job_id, name, job, interval in (
        ("end_idle", "end_idle_sessions", jobs.end_idle_sessions, every),
        ("purge", "purge_old_texts", jobs.purge_old_texts, every),
        ("purge_delivered", "purge_delivered", jobs.purge_delivered, every),
        ("optimize", "optimize", jobs.optimize, rarely),
    ):
        scheduler.add_job(
            fleet_job(jobs, name, interval, job),
            id=job_id,
            trigger="interval",
            seconds=interval.total_seconds(),
        )
    return scheduler


class PollerLease:
    """The single long-polling slot of a database, held with a heartbeat while polling."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        holder: str,
        *,
        ttl: timedelta = POLLER_LEASE_TTL,
        heartbeat_seconds: float = POLLER_HEARTBEAT_SECONDS,
    ) -> None:
        self.session_factory = session_factory
        self.holder = holder
        self.ttl = ttl
        self.heartbeat_seconds = heartbeat_seconds

    async def take(self) -> None:
        """Hold the slot, or raise ``UserFacingError`` naming the instance that polls.

        A holder that was a process on this machine and is gone (a crash, a SIGKILL) is taken
        over at once, so a restart by systemd does not wait for its lease to expire.
        """
        async with self.session_factory() as s, s.begin():
            if await fleet.take(session=s, name=POLLER_LEASE, holder=self.holder, ttl=self.ttl):
                return
            other = await fleet.holder_of(session=s, name=POLLER_LEASE)
            gone = other.holder if other and dead_local_process(other.holder) else None
            if gone and await fleet.take_over(
                session=s, name=POLLER_LEASE, old=gone, new=self.holder, ttl=self.ttl
            ):
                log.warning("took the long-polling slot over from %s (gone)", gone)
                return
        who = other.holder if other is not None else "another instance"
        raise UserFacingError(
            f"{who} is already long-polling with this database; long polling is "
            "single-instance: stop it, or run several instances in webhook mode "
            "(SUPPORTBOT_WEBHOOK_URL)"
        )

    async def heartbeat(self) -> None:
        """Renew the slot until cancelled; losing it (a stall past the TTL) is logged."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                async with self.session_factory() as s, s.begin():
                    kept = await fleet.take(
                        session=s, name=POLLER_LEASE, holder=self.holder, ttl=self.ttl
                    )
            except Exception:
                log.exception("could not renew the long-polling lease; retrying")
                continue
            if not kept:
                log.error("another instance took over long polling from %s", self.holder)

    async def release(self) -> None:
        async with self.session_factory() as s, s.begin():
            await fleet.release(session=s, name=POLLER_LEASE, holder=self.holder)
