"""Many web chat visitors at once through the real web chat process, with a SIGKILL halfway:
nothing lost, nothing twice, in order.

    python -m bench.widget [--visitors 500] [--questions 3] [--no-kill] [--json]

Starts the web chat in its own process (``tests.channels.webchat.web_process``: what
``supportbot run`` serves without Telegram, with the FakeEngine, lexical retrieval, a fresh
SQLite file) on 127.0.0.1. Each visitor gets a token, opens its event stream (reconnecting with
``Last-Event-ID`` like ``EventSource``), and asks ``--questions`` curated FAQ questions one
after another, each POSTed until it gets its 202 (same client id). Visitors come from distinct
addresses (``X-Forwarded-For`` from the 127.0.0.1 "proxy"), so the per-address limit does not
apply. When half the questions are answered the process is SIGKILLed and started again.

Prints one JSON object: ``visitors``, ``messages``, ``lost`` (no answer event by the end),
``duplicates`` (more than one stored answer for one message), ``repeated_ids`` (an event id
received twice: the resume failed), ``out_of_order`` (a visitor's answers not in the order
asked), ``first_token_p50_ms`` / ``p95`` (POST to the first partial or answer event),
``kb_per_connection`` (server RSS growth with every stream open, per stream), ``restarts``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.load_webhook import free_port
from bot.config import PROJECT_ROOT

QUESTIONS = (
    "How long does shipping take?",
    "Which payment methods do you accept?",
    "How can I track my order?",
    "What is your return policy?",
    "Can I cancel my order?",
    "How do I use a discount code?",
    "Can I get an invoice for my order?",
    "Do you ship internationally?",
)
ORIGIN = "http://shop.bench"
DRAIN_SECONDS = 300.0


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class ChatProcess:
    """The web chat process: started, killed, restarted."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder, self.starts = env, folder, 0
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.starts += 1
        log = (self.folder / f"web-{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.channels.webchat.web_process", env=self.env,
            cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE, stderr=log,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 120)
        assert line.startswith(b"port "), line

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


@dataclass
class Visitor:
    number: int
    token: str = ""
    asked: list[str] = field(default_factory=list)  # client ids, in order
    posted_at: dict[str, float] = field(default_factory=dict)
    first_at: dict[str, float] = field(default_factory=dict)
    answers: dict[str, list[int]] = field(default_factory=dict)  # cid -> event ids
    seen_ids: list[int] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    opened: asyncio.Event = field(default_factory=asyncio.Event)  # its stream is open
    stream: asyncio.Task[None] | None = None

    @property
    def headers(self) -> dict[str, str]:
        a, b = divmod(self.number, 250)
        headers = {"origin": ORIGIN, "x-forwarded-for": f"10.0.{a}.{b + 1}"}
        return headers | ({"authorization": f"Bearer {self.token}"} if self.token else {})


async def retrying(call: Any) -> httpx.Response:
    """``call()`` until the server answers below 500 (it may be restarting)."""
    pause = 0.2
    while True:
        try:
            response = await call()
            if response.status_code < 500 and response.status_code != 429:
                return response
        except (httpx.TransportError, httpx.RemoteProtocolError):
            pass
        await asyncio.sleep(pause)
        pause = min(pause * 2, 2.0)


async def listen(client: httpx.AsyncClient, visitor: Visitor, opened: asyncio.Event) -> None:
    """The visitor's event stream, resumed from the last id after every break."""
    while True:
        last = visitor.seen_ids[-1] if visitor.seen_ids else 0
        headers = visitor.headers | ({"last-event-id": str(last)} if last else {})
        try:
            async with client.stream(
                "GET", "/api/events", params={"token": visitor.token}, headers=headers
            ) as r:
                opened.set()
                await read_stream(r, visitor)
        except httpx.HTTPError:
            await asyncio.sleep(0.5)


async def read_stream(r: httpx.Response, visitor: Visitor) -> None:
    kind = "message"
    async for line in r.aiter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
            cid = data.get("cid")
            if cid and cid not in visitor.first_at:
                visitor.first_at[cid] = time.monotonic()
            if kind == "message":
                visitor.seen_ids.append(data["id"])
                if data.get("type") == "answer" and cid:
                    visitor.answers.setdefault(cid, []).append(data["id"])
                    visitor.answered.set()
            kind = "message"


async def visit(
    client: httpx.AsyncClient, visitor: Visitor, questions: int, start: asyncio.Event
) -> None:
    visitor.token = (
        await retrying(lambda: client.post("/api/visitor", json={}, headers=visitor.headers))
    ).json()["token"]
    visitor.stream = asyncio.create_task(listen(client, visitor, visitor.opened))
    await visitor.opened.wait()
    await start.wait()
    for i in range(questions):
        cid = f"v{visitor.number}q{i}"
        text = QUESTIONS[(visitor.number + i) % len(QUESTIONS)]
        visitor.asked.append(cid)
        visitor.posted_at[cid] = time.monotonic()
        body = {"id": cid, "kind": "text", "text": text, "lang": "en"}
        await retrying(lambda b=body: client.post("/api/messages", json=b, headers=visitor.headers))
        while cid not in visitor.answers:
            visitor.answered.clear()
            await visitor.answered.wait()


async def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "SUPPORTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'web.db'}",
        "SUPPORTBOT_EMBEDDING_MODEL": "none",
        "SUPPORTBOT_MODEL_CACHE_DIR": str(folder / "models"),
        "SUPPORTBOT_WIDGET_PORT": str(port),
        "SUPPORTBOT_WIDGET_ORIGINS": ORIGIN,
        "SUPPORTBOT_WIDGET_SECRET_FILE": str(folder / "widget.key"),
        "SUPPORTBOT_INSTANCE_NAME": "bench-web",
        "SUPPORTBOT_RATE_LIMIT_PER_MINUTE": "60",
    }
    chat = ChatProcess(env, folder)
    await chat.start()
    assert chat.process is not None
    before_kb = rss_kb(chat.process.pid)
    visitors = [Visitor(n) for n in range(args.visitors)]
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    timeout = httpx.Timeout(30.0, read=None)
    start = asyncio.Event()
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        tasks = [asyncio.create_task(visit(client, v, args.questions, start)) for v in visitors]
        await asyncio.wait_for(asyncio.gather(*(v.opened.wait() for v in visitors)), 300)
        await asyncio.sleep(1.0)  # every stream open
        open_kb = rss_kb(chat.process.pid)
        start.set()
        began = time.monotonic()
        total = args.visitors * args.questions
        killed = False
        while sum(len(v.answers) for v in visitors) < total:
            if time.monotonic() - began > DRAIN_SECONDS:
                break
            if args.kill and not killed and sum(len(v.answers) for v in visitors) >= total // 2:
                await chat.kill()
                await chat.start()
                killed = True
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)  # late duplicates would arrive now
        streams = [v.stream for v in visitors if v.stream is not None]
        for task in tasks + streams:
            task.cancel()
        await asyncio.gather(*tasks, *streams, return_exceptions=True)
    await chat.kill()
    return score(visitors, args, before_kb, open_kb, chat.starts - 1, time.monotonic() - began)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def score(
    visitors: list[Visitor], args: argparse.Namespace, before_kb: int, open_kb: int,
    restarts: int, seconds: float,
) -> dict[str, Any]:  # fmt: skip
    lost = duplicates = repeated = out_of_order = 0
    first_ms: list[float] = []
    for v in visitors:
        lost += sum(1 for cid in v.asked if cid not in v.answers)
        duplicates += sum(len(set(ids)) - 1 for ids in v.answers.values())
        repeated += len(v.seen_ids) - len(set(v.seen_ids))
        order = [v.answers[cid][0] for cid in v.asked if cid in v.answers]
        out_of_order += sum(1 for a, b in itertools.pairwise(order) if b < a)
        first_ms += [(v.first_at[c] - v.posted_at[c]) * 1000 for c in v.asked if c in v.first_at]
    return {
        "visitors": len(visitors),
        "messages": len(visitors) * args.questions,
        "answered": sum(len(v.answers) for v in visitors),
        "lost": lost,
        "duplicates": duplicates,
        "repeated_ids": repeated,
        "out_of_order": out_of_order,
        "first_token_p50_ms": round(percentile(first_ms, 0.5), 1),
        "first_token_p95_ms": round(percentile(first_ms, 0.95), 1),
        "kb_per_connection": round((open_kb - before_kb) / max(1, len(visitors)), 1),
        "restarts": restarts,
        "seconds": round(seconds, 1),
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--no-kill", dest="kill", action="store_false")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-widget-") as folder:
        result = asyncio.run(run(args, Path(folder)))
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
