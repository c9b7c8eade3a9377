"""Three ``supportbot run`` processes in webhook mode on one PostgreSQL database, behind a
round-robin balancer: 100 customers, one instance SIGKILLed in the middle. Every message is
answered, in order per chat, and once (but for the repeats a SIGKILL can cause, at most the
killed instance's sends in flight), maintenance jobs run once per interval across the
fleet, and every surviving instance's ``/metrics`` adds up to the messages sent.

Runs only on PostgreSQL (``TEST_DATABASE_URL``): several processes sharing one SQLite file is
not a supported set-up.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram.send_lane import SENDS_IN_FLIGHT
from storage.db import make_engine, make_session_factory
from storage.repositories import fleet as fleet_runs
from tests.channels.telegram.fake_bot_api import FakeBotApi
from tests.observability.fleet import FakeOpenAI, Fleet, RoundRobin
from tests.observability.fleet_scenario import (
    QUESTIONS,
    Customers,
    fleet_env,
    fleet_totals,
    repeated_replies,
    start_fleet,
)

CUSTOMERS = 100
PER_CUSTOMER = 3
INTERVAL = timedelta(minutes=1)  # the smallest SUPPORTBOT_CLEANUP_INTERVAL_MINUTES

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the fleet shares one PostgreSQL database (set TEST_DATABASE_URL)",
)


@pytest.fixture
async def services() -> AsyncIterator[tuple[FakeBotApi, FakeOpenAI]]:
    api, llm = FakeBotApi(), FakeOpenAI()
    await api.start()
    await llm.start()
    yield api, llm
    await llm.stop()
    await api.stop()


async def drive(customers: Customers, api: FakeBotApi, fleet: Fleet, kill_after: int) -> None:
    """Every customer writes its questions without waiting for answers. Once ``kill_after``
    updates are in, Telegram starts answering ``sendMessage`` with 429 (retry after 2 s), so
    answers hang in the middle of their claims, and one instance is SIGKILLed right then."""
    kill_now = asyncio.Event()
    throttled = 30

    async def customer(i: int) -> None:
        user = api.user(10_000 + i, f"Customer {i}")
        for k in range(PER_CUSTOMER):
            await customers.say(user, QUESTIONS[(i + k) % len(QUESTIONS)])
            if customers.posted >= kill_after:
                kill_now.set()

    async def killer() -> None:
        await kill_now.wait()
        api.fail("sendMessage", status=429, times=throttled, retry_after=2)
        injected = api.failures[-1]
        await api.wait_until(lambda: injected.times <= throttled - 10 or None, within=60)
        fleet.kill(fleet.instances[1])

    await asyncio.gather(killer(), *(customer(i) for i in range(CUSTOMERS)))


def report(folder: Path, balancer: RoundRobin, problems: tuple[list[Any], ...]) -> None:
    """What happened, for a person reading a failure (beside the instances' logs)."""
    lost, duplicates, out_of_order = problems
    summary = {
        "forwarded": balancer.forwarded,
        "retried": balancer.retried,
        "lost": lost,
        "duplicates": duplicates,
        "out_of_order": out_of_order,
    }
    (folder / "scale-report.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))


async def job_runs_once_all_fired(database_url: str, fleet: Fleet) -> dict[str, list[Any]]:
    """The recorded runs of the two every-interval jobs, read once every live instance's
    scheduler has fired at least once (an interval after its start, plus a margin)."""
    live = [i for i in fleet.instances if i.alive]
    all_fired = max(i.started_at for i in live) + INTERVAL.total_seconds() + 10
    await asyncio.sleep(max(0.0, all_fired - time.monotonic()))  # the schedule is the clock
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as s:
            return {
                job: await fleet_runs.runs_of(session=s, job=job)
                for job in ("end_idle_sessions", "purge_old_texts")
            }
    finally:
        await engine.dispose()


async def test_three_instances_one_killed_every_message_answered_in_order(
    database_url: str, services: tuple[FakeBotApi, FakeOpenAI], tmp_path: Path
) -> None:
    api, llm = services
    minutes = int(INTERVAL.total_seconds() // 60)
    fleet = Fleet(tmp_path, fleet_env(database_url, api, llm, interval_minutes=minutes), count=3)
    balancer = RoundRobin(fleet)
    customers = Customers(api, balancer)
    try:
        await start_fleet(fleet)
        sent = CUSTOMERS * PER_CUSTOMER
        await drive(customers, api, fleet, kill_after=sent // 3)
        assert fleet.instances[1].killed

        problems = await customers.problems(within=120)
        report(tmp_path, balancer, problems)
        lost, duplicates, out_of_order = problems
        assert (lost, out_of_order) == ([], [])
        # The one thing a SIGKILL may do (docs/telegram.md): repeat replies Telegram had and
        # the killed instance had not yet marked sent, at most its sends in flight.
        assert repeated_replies(duplicates) <= SENDS_IN_FLIGHT, duplicates

        runs = await job_runs_once_all_fired(database_url, fleet)
        intervals = (time.monotonic() - fleet.instances[0].started_at) / INTERVAL.total_seconds()
        for job, job_runs in runs.items():
            starts = [r.started_at for r in job_runs]
            assert 1 <= len(job_runs) <= intervals, (job, starts)  # not once per instance
            assert all(b - a >= INTERVAL * 0.9 for a, b in itertools.pairwise(starts)), job

        for instance in fleet.instances:
            if instance.alive:
                totals = await fleet_totals(instance.url("/metrics"))
                assert totals == (sent, sent), instance.name
        assert sum(balancer.forwarded.values()) == sent and all(balancer.forwarded.values())
    finally:
        await balancer.close()
        await fleet.stop()
