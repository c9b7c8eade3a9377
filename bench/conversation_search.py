"""Benchmark of the console's text search over conversations (`/conversations?q=…`) at 100,000
messages (target: under 100 ms a page).

    python -m bench.conversation_search [--json] [--messages 100000] [--runs 3] [--samples 7]
        [--database-url postgresql+asyncpg://…]

Fills the database exactly as ``bench.console`` does (5,000 customers, 20,000 sessions, texts
from a 22-word vocabulary, so every one of those words is in about a third of the messages),
then gives 30 messages a rare word and 300 a Chinese sentence. ``no_search`` is the same
page without a search, for scale. The real console app is served
in-process through httpx, so the figures are the server's time for the whole page (search,
the customers' list, the template). Each query is asked once to warm caches, then
``--samples`` times per run; a run reports the median and the slowest sample per query, and
the number of customers the page lists. ``--database-url`` runs it on another database
(PostgreSQL): that database is emptied first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import select, text, update

from bench.console import populate, timed_gets
from bot.app import open_app, open_database
from bot.channels.web import ConsoleServices, create_app
from bot.config import Settings
from storage import migrations
from storage.db import make_engine
from storage.models import Message

ADMIN = 1
RARE_WORD = "zanzibar"
CHINESE = "我的退款什么时候到账？"
QUERIES = {
    "no_search": "",
    "two_common_words": "warranty size",
    "one_common_word": "refund",
    "rare_word": RARE_WORD,
    "no_match": "qwertyuiop",
    "chinese": "退款",
}
ROW_MARK = '<td><a href="/conversations/'


async def _plant(settings: Settings) -> None:
    """A rare word in 30 messages and a Chinese sentence in 300, spread over the table."""
    async with open_database(settings, migrate=False) as (_, factory), factory() as s, s.begin():
        ids = list(await s.scalars(select(Message.id).order_by(Message.id)))
        step = len(ids) // 330
        rare, chinese = ids[::step][:30], ids[step // 2 :: step][:300]
        await s.execute(
            update(Message)
            .where(Message.id.in_(rare))
            .values(text=Message.text + f" near {RARE_WORD}")
        )
        await s.execute(update(Message).where(Message.id.in_(chinese)).values(text=CHINESE))
    if settings.database_url.startswith("postgresql"):
        # Statistics for the planner, as autovacuum gathers them on a live database.
        engine = make_engine(settings.database_url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("ANALYZE"))
        finally:
            await engine.dispose()


async def _empty(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrations.drop_everything(engine)
    finally:
        await engine.dispose()


async def _run(client: httpx.AsyncClient, samples: int) -> dict[str, dict[str, Any]]:
    result = {}
    for name, query in QUERIES.items():
        first, times = await timed_gets(client, f"/conversations?q={quote(query)}", samples)
        result[name] = {
            "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
            "customers_listed": first.text.count(ROW_MARK),
        }
    return result


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="supportbot-search-bench-") as folder:
        return await _measure_in(Path(folder), args)


async def _measure_in(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    if args.database_url:
        await _empty(url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        embedding_model="none",
        admin_ids=[ADMIN],
        console_secret_file=folder / "secret",
        model_cache_dir=folder / "models",
    )
    started = time.perf_counter()
    await populate(settings, 100, args.messages)
    await _plant(settings)
    populated = time.perf_counter() - started
    load_before = [round(x, 2) for x in os.getloadavg()]
    async with open_app(settings, load_model=False, import_demo=False) as app:
        console = ConsoleServices.from_app(app, settings)
        transport = httpx.ASGITransport(app=create_app(console))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = (await console.logins.issue_link(ADMIN)).rsplit("/", 1)[1]
            await client.post("/login", data={"token": token})
            runs = [await _run(client, args.samples) for _ in range(args.runs)]
    return {
        "database": url.split(":", 1)[0],
        "messages": args.messages,
        "populate_s": round(populated, 1),
        "samples_per_query_per_run": args.samples,
        "target_ms": 100,
        "queries": QUERIES,
        "runs": runs,
        "median_ms_per_query": {name: [run[name]["median_ms"] for run in runs] for name in QUERIES},
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--database-url", default="", help="another database (emptied first)")
    args = parser.parse_args()
    result = asyncio.run(measure(args))
    print(json.dumps(result, indent=None if args.json else 2, ensure_ascii=False))


if __name__ == "__main__":
    main()
