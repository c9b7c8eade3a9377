"""Several ``supportbot run`` instances on one PostgreSQL database against one: scale-out.

    python -m bench.load_fleet [--instances 3] [--customers 100] [--per-customer 3] [--kill]
                               [--database-url postgresql+asyncpg://…] [--json]

For one instance and then for ``--instances``, on a freshly emptied database each time: start
the fake Bot API and a fake OpenAI-compatible server on 127.0.0.1, ``supportbot db upgrade``,
the instances in webhook mode (``tests/observability/fleet.py``), then every customer sends its
questions at once through a round-robin balancer without waiting for answers. ``--kill``
SIGKILLs one instance (not the only one) after a third of the messages. Reports per run: lost,
duplicated and out-of-order chats, seconds from the first message to the last answer,
messages answered per second, and what the instances' ``/metrics`` count. One JSON object.

The database URL comes from ``--database-url``, else ``TEST_DATABASE_URL``; it is emptied.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from storage import migrations
from storage.db import make_engine
from tests.channels.telegram.fake_bot_api import FakeBotApi
from tests.observability.fleet import FakeOpenAI, Fleet, RoundRobin
from tests.observability.fleet_scenario import (
    QUESTIONS,
    Customers,
    fleet_env,
    fleet_totals,
    repeated_replies,
    sent_mark_window,
    start_fleet,
)


async def empty_database(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrations.drop_everything(engine)
    finally:
        await engine.dispose()


async def burst(
    customers: Customers, api: FakeBotApi, args: argparse.Namespace, fleet: Fleet
) -> None:
    """Every customer sends its questions at once; maybe one instance dies a third of the way."""
    total = args.customers * args.per_customer
    victim = fleet.instances[-1] if args.kill and len(fleet.instances) > 1 else None

    async def customer(i: int) -> None:
        user = api.user(20_000 + i, f"Customer {i}")
        for k in range(args.per_customer):
            await customers.say(user, QUESTIONS[(i + k) % len(QUESTIONS)])
            if victim is not None and not victim.killed and customers.posted >= total // 3:
                fleet.kill(victim)

    await asyncio.gather(*(customer(i) for i in range(args.customers)))


def rss_mb(fleet: Fleet) -> list[float]:
    sizes = []
    for instance in fleet.instances:
        if instance.alive and instance.process is not None:
            sizes.append(round(psutil.Process(instance.process.pid).memory_info().rss / 2**20, 1))
    return sizes


async def run_once(instances: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    await empty_database(args.database_url)
    api, llm = FakeBotApi(), FakeOpenAI()
    await api.start()
    await llm.start()
    fleet = Fleet(folder, fleet_env(args.database_url, api, llm, interval_minutes=10), instances)
    balancer = RoundRobin(fleet)
    customers = Customers(api, balancer)
    try:
        await start_fleet(fleet)
        started = time.monotonic()
        await burst(customers, api, args, fleet)
        await api.wait_until(lambda: customers.all_answered() or None, within=args.drain)
        seconds = time.monotonic() - started
        lost, duplicates, out_of_order = await customers.problems(within=5)
        live = [i for i in fleet.instances if i.alive]
        received, answered = await fleet_totals(live[0].url("/metrics"))
        window = await sent_mark_window([i.url("/metrics") for i in live])
        memory = rss_mb(fleet)
    except TimeoutError:
        seconds = float("nan")
        lost, duplicates, out_of_order = await customers.problems(within=1)
        received = answered = float("nan")
        window, memory = {}, []
    finally:
        await balancer.close()
        await fleet.stop()
        await llm.stop()
        await api.stop()
    sent = customers.posted
    return {
        "instances": instances,
        "killed": sum(i.killed for i in fleet.instances),
        "messages": sent,
        "lost": len(lost),
        "duplicates": len(duplicates),  # chats with a reply shown twice in a row
        "repeated_replies": repeated_replies(duplicates),
        "out_of_order": len(out_of_order),
        "seconds": round(seconds, 2),
        "answered_per_second": round(sent / seconds, 1) if seconds == seconds else None,
        "forwarded": balancer.forwarded,
        "balancer_retries": balancer.retried,
        "metrics_received": received,
        "metrics_answered": answered,
        "rss_mb": memory,
        "sent_mark_window_survivors": window,  # the killed instance's figures die with it
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="supportbot-fleet-") as tmp:
        runs = []
        for count in (1, args.instances):
            folder = Path(tmp) / f"n{count}"
            folder.mkdir()
            runs.append(await run_once(count, args, folder))
    one, many = runs
    speedup = None
    if one["answered_per_second"] and many["answered_per_second"]:
        speedup = round(many["answered_per_second"] / one["answered_per_second"], 2)
    return {
        "customers": args.customers,
        "per_customer": args.per_customer,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "one_instance": one,
        f"{args.instances}_instances": many,
        "throughput_vs_one": speedup,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load_fleet", description=__doc__)
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--per-customer", type=int, default=3)
    parser.add_argument("--kill", action="store_true", help="SIGKILL one instance mid-way")
    parser.add_argument("--drain", type=float, default=180.0, help="seconds to wait for answers")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--json", action="store_true", help="one JSON object (the default)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("a PostgreSQL --database-url (or TEST_DATABASE_URL) is needed")
    return args


def main(argv: list[str] | None = None) -> int:
    result = asyncio.run(main_async(parse_args(argv)))
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
