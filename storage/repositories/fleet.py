"""Leases and job runs shared by the instances of one bot (``storage.models.fleet``).

``take`` is the only lock primitive supportbot has: a conditional UPDATE (the lease is free,
expired or already ours) or, when the row does not exist yet, an INSERT in a savepoint that may
lose the race to another instance. Both are plain SQL, so SQLite and PostgreSQL behave alike;
the database's own row locking is what makes it safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRun, Lease, utcnow


async def take(
    *, session: AsyncSession, name: str, holder: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """Hold lease ``name`` for ``ttl`` from now; False when another holder's lease is live."""
    now = now or utcnow()
    expires = now + ttl
    result = await session.execute(
        update(Lease)
        .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at <= now))
        .values(holder=holder, expires_at=expires, acquired_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    try:
        async with session.begin_nested():
            session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=expires))
    except IntegrityError:  # someone else holds it (or took it a moment ago)
        return False
    return True


async def take_over(
    *, session: AsyncSession, name: str, old: str, new: str, ttl: timedelta
) -> bool:
    """Move lease ``name`` from ``old`` (known to be gone) to ``new``; False if it moved on."""
    now = utcnow()
    result = await session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == old)
        .values(holder=new, acquired_at=now, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release(*, session: AsyncSession, name: str, holder: str) -> bool:
    """Give lease ``name`` up if ``holder`` has it."""
    result = await session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def holder_of(
    *, session: AsyncSession, name: str, now: datetime | None = None
) -> Lease | None:
    """The live lease ``name`` (None when free or expired)."""
    lease = await session.get(Lease, name, populate_existing=True)
    if lease is None or lease.expires_at <= (now or utcnow()):
        return None
    return lease


async def start_run(
    *, session: AsyncSession, job: str, holder: str, now: datetime | None = None
) -> int:
    """Record that ``holder`` started ``job``; returns the run's id."""
    run = JobRun(job=job, holder=holder, started_at=now or utcnow())
    session.add(run)
    await session.flush()
    return run.id


async def finish_run(
    *, session: AsyncSession, run_id: int, ok: bool, result: str, now: datetime | None = None
) -> None:
    """Record how run ``run_id`` ended (``result``: the job's value or the error, short)."""
    await session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(finished_at=now or utcnow(), ok=ok, result=result[:500])
    )


@dataclass(frozen=True, slots=True)
class LastRun:
    """The newest run of one job."""

    job: str
    holder: str
    started_at: datetime
    finished_at: datetime | None
    ok: bool | None
    result: str | None
    runs: int  # runs of this job recorded in all


async def last_runs(*, session: AsyncSession) -> list[LastRun]:
    """The newest run of every job that ever ran, by job name."""
    rows = await session.execute(select(JobRun.job, func.count()).group_by(JobRun.job))
    counts = {str(job): int(n) for job, n in rows}
    newest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    runs = await session.scalars(
        select(JobRun).join(newest, JobRun.id == newest.c.id).order_by(JobRun.job)
    )
    return [
        LastRun(r.job, r.holder, r.started_at, r.finished_at, r.ok, r.result, counts[r.job])
        for r in runs
    ]


async def runs_of(*, session: AsyncSession, job: str) -> list[JobRun]:
    """Every recorded run of ``job``, oldest first (tests and the scale check)."""
    return list(await session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))
