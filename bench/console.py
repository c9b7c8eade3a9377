"""Benchmark of the admin web console: page load times at 10,000 FAQ entries and 100,000
messages (target: under 100 ms per page).

    python -m bench.console [--json] [--entries 10000] [--messages 100000] [--rounds 3]

Builds a SQLite database in a temporary folder (bulk inserts: entries with a revision each,
5,000 customers, 20,000 sessions, messages over the last 30 days with modes, confidences,
latencies, 2% unanswered, feedback and 20 open hand-offs), opens the real services and serves
the real console app in-process through httpx (no network, so the figures are the server's
time: queries, templates, SVG). Each page is requested once to warm caches, then ``--samples``
times per round; a round reports the median per page. Retrieval is lexical (BM25) because
encoding 30,000 FAQ texts with MiniLM takes minutes here; with the dense encoder the unanswered
inbox also encodes up to 10 new queries the first time (cached after).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import insert

from bot.app import open_app, open_database
from bot.channels.web import ConsoleServices, create_app
from bot.config import Settings
from storage.models import ChatSession, FaqEntry, FaqRevision, Feedback, Message, User, utcnow

ADMIN = 1
MODES = ["faq"] * 6 + ["generated", "fallback", "handoff", "smalltalk"]
WORDS = [
    "order",
    "shipping",
    "parcel",
    "refund",
    "invoice",
    "password",
    "account",
    "delivery",
    "return",
    "payment",
    "card",
    "warranty",
    "size",
    "colour",
    "store",
    "opening",
    "hours",
    "discount",
    "coupon",
    "tracking",
    "address",
    "cancel",
]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


async def populate(settings: Settings, entries: int, messages: int) -> dict[str, int]:
    """Bulk-insert the FAQ and the conversations; returns ids the pages are asked about."""
    rng = random.Random(7)
    now = utcnow()
    async with open_database(settings) as (_, factory), factory() as s, s.begin():
        faq_rows = [
            {"id": i, "question": f"{_sentence(rng, 6)} #{i}?", "answer": _sentence(rng, 40),
             "variants": [_sentence(rng, 5)], "tags": [rng.choice(WORDS)],
             "language": "en" if i % 10 else "zh", "enabled": i % 50 != 0, "revision": 1,
             "created_by": "bench", "created_at": now, "updated_by": "bench", "updated_at": now}
            for i in range(1, entries + 1)
        ]  # fmt: skip
        await s.execute(insert(FaqEntry), faq_rows)
        await s.execute(
            insert(FaqRevision),
            [{**{k: r[k] for k in ("question", "answer", "variants", "tags", "language",
                                   "enabled", "revision")},
              "entry_id": r["id"], "action": "create", "changed_by": "bench", "changed_at": now}
             for r in faq_rows],
        )  # fmt: skip
        users, sessions = 5_000, 20_000
        await s.execute(insert(User), [
            {"id": u, "channel": "telegram", "external_id": 10_000 + u, "name": f"Customer {u}",
             "blocked": False, "first_seen": now, "last_seen": now} for u in range(1, users + 1)
        ])  # fmt: skip
        starts = [now - timedelta(minutes=rng.randrange(30 * 24 * 60)) for _ in range(sessions)]
        await s.execute(insert(ChatSession), [
            {"id": n, "user_id": (n - 1) % users + 1, "chat_id": 10_000 + (n - 1) % users + 1,
             "started_at": starts[n - 1], "last_active_at": starts[n - 1] + timedelta(minutes=5),
             "state": "human" if n > sessions - 20 else "bot",
             "handoff_at": starts[n - 1] if n > sessions - 20 else None}
            for n in range(1, sessions + 1)
        ])  # fmt: skip
        rows = []
        for m in range(1, messages + 1):
            session_id = rng.randrange(1, sessions + 1)
            user_turn = m % 2 == 1
            mode = None if user_turn else rng.choice(MODES)
            rows.append({
                "id": m, "session_id": session_id, "role": "user" if user_turn else "assistant",
                "text": _sentence(rng, 8), "created_at": starts[session_id - 1]
                + timedelta(seconds=m % 300), "mode": mode, "faq_ids": [] if user_turn
                else [rng.randrange(1, entries + 1)], "confidence": None if user_turn
                else rng.random(), "latency_ms": None if user_turn else rng.randrange(5, 3000),
                "unanswered": user_turn and rng.random() < 0.02,
            })  # fmt: skip
        await s.execute(insert(Message), rows)
        await s.execute(insert(Feedback), [
            {"message_id": m, "user_id": 1 + m % users, "rating": 1 if m % 3 else -1,
             "created_at": now - timedelta(days=m % 30)} for m in range(2, 6_002, 2)
        ])  # fmt: skip
    return {"entry": entries // 2, "user": 17, "handoff": sessions - 5}


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="supportbot-console-bench-"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}",
        embedding_model="none",
        admin_ids=[ADMIN],
        console_secret_file=folder / "secret",
        model_cache_dir=folder / "models",
    )
    started = time.perf_counter()
    ids = await populate(settings, args.entries, args.messages)
    populated = time.perf_counter() - started
    pages = [
        "/faq", "/faq?q=refund", "/faq?language=en&tag=order&enabled=yes", "/faq?page=200",
        f"/faq/{ids['entry']}", f"/faq/{ids['entry']}/revisions", "/unanswered",
        "/conversations", "/conversations?q=warranty%20size", "/conversations?user=10017",
        f"/conversations/{ids['user']}", "/handoffs", f"/handoffs/{ids['handoff']}",
        "/quality", "/quality?days=30",
    ]  # fmt: skip
    async with open_app(settings, load_model=False, import_demo=False) as app:
        console = ConsoleServices.from_app(app, settings)
        transport = httpx.ASGITransport(app=create_app(console))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = (await console.logins.issue_link(ADMIN)).rsplit("/", 1)[1]
            await client.post("/login", data={"token": token})
            rounds = [await _round(client, pages, args.samples) for _ in range(args.rounds)]
            preview = await _preview_ms(client, console, ids["entry"], args.samples)
    return {
        "entries": args.entries, "messages": args.messages, "populate_s": round(populated, 1),
        "samples_per_page_per_round": args.samples, "target_ms": 100,
        "rounds_median_ms": rounds, "preview_post_median_ms": preview,
        "worst_page_ms_per_round": [max(r.values()) for r in rounds],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": psutil.cpu_count(),
    }  # fmt: skip


async def timed_gets(
    client: httpx.AsyncClient, path: str, samples: int
) -> tuple[httpx.Response, list[float]]:
    """One GET of ``path`` (checked to be 200 and returned) to warm it, then ``samples`` timed
    GETs: their milliseconds."""
    first = await client.get(path)
    assert first.status_code == 200, (path, first.status_code)
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        await client.get(path)
        times.append((time.perf_counter() - began) * 1000)
    return first, times


async def _round(client: httpx.AsyncClient, pages: list[str], samples: int) -> dict[str, float]:
    result = {}
    for path in pages:
        _, times = await timed_gets(client, path, samples)
        result[path] = round(statistics.median(times), 1)
    return result


async def _preview_ms(client: httpx.AsyncClient, console: Any, entry_id: int, n: int) -> float:
    page = await client.get("/faq")
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    entry = await console.admin.show_faq(entry_id)
    form = {
        "csrf": csrf, "entry_id": str(entry_id), "question": entry.question,
        "answer": "A new answer", "language": "en", "enabled": "on", "try": "refund order",
    }  # fmt: skip
    times = []
    for _ in range(n):
        began = time.perf_counter()
        response = await client.post("/faq/preview", data=form)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=5)
    result = asyncio.run(measure(parser.parse_args()))
    print(json.dumps(result, indent=None if parser.parse_args().json else 2))


if __name__ == "__main__":
    main()
