"""Maintenance jobs driven by a controllable clock; the scheduler's wiring and error handling;
leases that make a job run once per interval across instances, and the single poller."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import UserFacingError
from bot.delivery import DeliveryService, Received
from bot.scheduler import (
    POLLER_LEASE,
    MaintenanceJobs,
    PollerLease,
    build_scheduler,
    dead_local_process,
    logged,
)
from storage.models import ChatSession, Message
from storage.repositories import fleet, messages, sessions, stats, users

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock that only moves when the test says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def jobs(
    session_factory: async_sessionmaker[AsyncSession], db_engine: AsyncEngine, clock: Clock
) -> MaintenanceJobs:
    return MaintenanceJobs(
        session_factory,
        db_engine,
        session_ttl=timedelta(minutes=30),
        retention=timedelta(days=90),
        batch_size=3,
        clock=clock,
    )


async def add_conversation(
    factory: async_sessionmaker[AsyncSession], external_id: int, at: datetime, turns: int = 2
) -> int:
    async with factory() as s, s.begin():
        user = await users.get_or_create(session=s, channel="console", external_id=external_id)
        chat, _ = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=external_id, ttl=timedelta(minutes=30), now=at
        )
        for i in range(turns):
            role = "user" if i % 2 == 0 else "assistant"
            await messages.add(
                session=s,
                session_id=chat.id,
                role=role,
                text=f"text {i}",
                mode=None if role == "user" else "faq",
                now=at,
            )
        return chat.id


async def test_idle_sessions_end_and_fresh_ones_stay_open(jobs, session_factory, clock) -> None:
    idle = await add_conversation(session_factory, 1, START)
    clock.advance(minutes=20)
    fresh = await add_conversation(session_factory, 2, clock.now)
    clock.advance(minutes=15)  # idle one: 35 minutes; fresh one: 15

    assert await jobs.end_idle_sessions(dry_run=True) == 1
    assert await jobs.end_idle_sessions() == 1
    assert await jobs.end_idle_sessions() == 0
    async with session_factory() as s:
        idle_row = await s.get(ChatSession, idle)
        fresh_row = await s.get(ChatSession, fresh)
        assert idle_row is not None and idle_row.ended_at == START
        assert fresh_row is not None and fresh_row.ended_at is None


async def test_old_texts_are_purged_in_batches_and_counts_are_kept(
    jobs, session_factory, clock
) -> None:
    await add_conversation(session_factory, 1, START, turns=4)
    await add_conversation(session_factory, 2, START + timedelta(days=1), turns=4)
    clock.advance(days=90, hours=1)  # only the first conversation is older than 90 days
    async with session_factory() as s:
        before = await stats.collect(session=s, days=1000, now=clock.now)

    assert await jobs.purge_old_texts(dry_run=True) == 4
    assert await jobs.purge_old_texts() == 4  # batches of 3: 3 + 1
    assert await jobs.purge_old_texts() == 0

    async with session_factory() as s:
        texts = list(await s.scalars(select(Message.text).order_by(Message.id)))
        after = await stats.collect(session=s, days=1000, now=clock.now)
    assert texts == [None] * 4 + ["text 0", "text 1", "text 2", "text 3"]
    assert (after.messages, after.modes, after.sessions) == (
        before.messages,
        before.modes,
        before.sessions,
    )


async def test_run_once_reports_and_dry_run_changes_nothing(jobs, session_factory, clock) -> None:
    await add_conversation(session_factory, 1, START)
    clock.advance(days=100)
    dry = await jobs.run_once(dry_run=True)
    assert (dry.sessions_ended, dry.texts_purged, dry.optimized) == (1, 2, True)
    assert "would be" in dry.lines()[0]
    async with session_factory() as s:
        assert await s.scalar(select(Message.text).limit(1)) == "text 0"
    done = await jobs.run_once()
    assert (done.sessions_ended, done.texts_purged) == (1, 2)


async def test_a_failing_job_logs_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise RuntimeError("disk full")

    with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        await logged("purge_old_texts", broken)()
    assert "purge_old_texts failed" in caplog.text and "disk full" in caplog.text


async def test_delivered_updates_are_forgotten_after_the_redelivery_horizon(
    jobs, session_factory, clock
) -> None:
    """Done inbox items hold a customer's text and the replies; restarts were the only purge."""
    delivery = DeliveryService(session_factory, channel="telegram", holder="a", clock=clock)
    for update_id in (1, 2):
        payload = {"message": {"message_id": update_id, "text": "my address is ..."}}
        await delivery.store([Received(update_id, f"m:7:{update_id}", 7, payload, clock.now)])
    [first] = await delivery.claim(1, lease=timedelta(minutes=1))
    await delivery.finish(first)  # the second stays open: never forgotten
    clock.advance(hours=47)
    assert await jobs.purge_delivered() == 0
    clock.advance(hours=2)
    assert (await jobs.purge_delivered(dry_run=True), await jobs.purge_delivered()) == (1, 1)
    assert await delivery.open_count() == 1
    assert (await jobs.run_once()).delivered_purged == 0


def test_scheduler_runs_every_job_at_the_configured_interval(jobs) -> None:
    scheduler = build_scheduler(jobs, interval_minutes=7, optimize_interval_minutes=60)
    intervals = {job.id: job.trigger.interval for job in scheduler.get_jobs()}
    assert intervals == {
        "end_idle": timedelta(minutes=7),
        "purge": timedelta(minutes=7),
        "purge_delivered": timedelta(minutes=7),
        "optimize": timedelta(minutes=60),
    }


# --- several instances on one database ---------------------------------------------------------


def instance(
    session_factory: async_sessionmaker[AsyncSession],
    db_engine: AsyncEngine,
    clock: Clock,
    name: str,
) -> MaintenanceJobs:
    return MaintenanceJobs(
        session_factory,
        db_engine,
        session_ttl=timedelta(minutes=30),
        retention=timedelta(days=90),
        clock=clock,
        holder=name,
    )


async def test_a_job_runs_once_per_interval_across_instances(
    session_factory, db_engine, clock
) -> None:
    a, b = (instance(session_factory, db_engine, clock, n) for n in ("a", "b"))
    interval = timedelta(minutes=10)
    calls: list[str] = []

    def job(name: str):
        async def run() -> int:
            calls.append(name)
            return 0

        return run

    assert await a.once_per_interval("purge", interval, job("a")) is True
    clock.advance(minutes=3)
    assert await b.once_per_interval("purge", interval, job("b")) is False  # a holds it
    clock.advance(minutes=7)  # a's interval is over: whoever fires first runs it
    assert await b.once_per_interval("purge", interval, job("b")) is True
    assert await a.once_per_interval("purge", interval, job("a")) is False
    assert await a.once_per_interval("optimize", interval, job("a")) is True  # another job
    assert calls == ["a", "b", "a"]
    async with session_factory() as s:
        runs = await fleet.runs_of(session=s, job="purge")
        last = {r.job: r for r in await fleet.last_runs(session=s)}
    assert [(r.holder, r.ok, r.result) for r in runs] == [("a", True, "0"), ("b", True, "0")]
    assert last["purge"].holder == "b" and last["purge"].runs == 2


async def test_a_failing_run_is_recorded_and_still_raises(
    session_factory, db_engine, clock
) -> None:
    a = instance(session_factory, db_engine, clock, "a")

    async def broken() -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        await a.once_per_interval("purge", timedelta(minutes=10), broken)
    async with session_factory() as s:
        (run,) = await fleet.runs_of(session=s, job="purge")
    assert (run.ok, run.result) == (False, "RuntimeError: disk full")
    assert run.finished_at is not None


async def test_a_second_poller_is_refused_until_the_first_lets_go(session_factory) -> None:
    first = PollerLease(session_factory, "host-a:1")
    second = PollerLease(session_factory, "host-b:2")
    await first.take()
    await first.take()  # renewing one's own lease is fine
    with pytest.raises(UserFacingError, match="host-a:1 is already long-polling"):
        await second.take()
    await first.release()
    await second.take()


async def test_a_dead_pollers_lease_expires(session_factory) -> None:
    async with session_factory() as s, s.begin():
        assert await fleet.take(
            session=s, name=POLLER_LEASE, holder="dead:1", ttl=timedelta(seconds=60), now=START
        )
    await PollerLease(session_factory, "alive:2").take()  # START was long ago
    async with session_factory() as s:
        lease = await fleet.holder_of(session=s, name=POLLER_LEASE)
    assert lease is not None and lease.holder == "alive:2"


async def test_a_crashed_poller_on_this_machine_is_taken_over_at_once(session_factory) -> None:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await process.wait()  # its pid now names a process that is gone
    here, gone = socket.gethostname(), process.pid
    await PollerLease(session_factory, f"{here}:{gone}").take()
    await PollerLease(session_factory, f"{here}:{os.getpid()}").take()  # no 60 s wait
    async with session_factory() as s:
        lease = await fleet.holder_of(session=s, name=POLLER_LEASE)
    assert lease is not None and lease.holder == f"{here}:{os.getpid()}"

    with pytest.raises(UserFacingError):  # the holder (this test's process) is alive
        await PollerLease(session_factory, f"{here}:{os.getppid()}").take()
    assert dead_local_process(f"{here}:{gone}")
    assert not dead_local_process(f"{here}:{os.getppid()}")
    assert not dead_local_process(f"elsewhere:{gone}")  # another machine's: cannot tell, wait
