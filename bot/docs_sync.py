"""The scheduled help-centre sync (``SUPPORTBOT_DOCS_SYNC_HOURS``): every source fetched again
once per interval across the fleet, on the maintenance scheduler (``bot.scheduler``).

A daily job must not wait for a day after every restart, nor run again because an instance
restarted: the job looks every hour (``DUE_CHECK``, or its interval when shorter) whether the
last recorded run of it, by any instance, started an interval ago; when it did, the instance
that takes the job's lease (``MaintenanceJobs.once_per_interval``) runs it and the run is
recorded (``supportbot status`` shows it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduler import MaintenanceJobs, logged
from storage.repositories import fleet

DOCS_SYNC_JOB = "docs_sync"
DUE_CHECK = timedelta(hours=1)


async def when_due(
    jobs: MaintenanceJobs, name: str, interval: timedelta, job: Callable[[], Awaitable[object]]
) -> bool:
    """Run ``job`` (once across the fleet) if its last recorded run started ``interval`` ago
    or more, or it never ran; returns whether this instance ran it."""
    async with jobs.session_factory() as session:
        last = {run.job: run for run in await fleet.last_runs(session=session)}.get(name)
    if last is not None and jobs.clock() - last.started_at < interval:
        return False
    return await jobs.once_per_interval(name, interval, job)


def schedule_docs_sync(
    scheduler: AsyncIOScheduler,
    jobs: MaintenanceJobs,
    sync: Callable[[], Awaitable[object]],
    *,
    hours: int,
) -> bool:
    """Add the help-centre sync to ``scheduler`` (not when ``hours`` is 0); True if added."""
    if hours <= 0:
        return False
    interval = timedelta(hours=hours)
    scheduler.add_job(
        logged(DOCS_SYNC_JOB, lambda: when_due(jobs, DOCS_SYNC_JOB, interval, sync)),
        id=DOCS_SYNC_JOB,
        trigger="interval",
        seconds=min(interval, DUE_CHECK).total_seconds(),
    )
    return True
