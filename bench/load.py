"""Load and faults through the real bot process: nothing lost, nothing twice, in order, and
every reply the answer to its own question.

    python -m bench.load [--customers 200] [--seconds 120] [--think 0.2,2] [--mode polling]
                         [--faults] [--no-kill] [--seed 7] [--json]
    python -m bench.load --instances 3 --database postgresql [--customers 100] [--no-kill] [--json]

Starts the fake Bot API (``tests/channels/telegram/fake_bot_api.py``: updates kept until a
``getUpdates`` offset confirms them, so unconfirmed ones are redelivered to a restarted bot) on
127.0.0.1 and the bot in its own process (``tests.channels.telegram.bot_process``: what
``supportbot run`` runs, with the FakeEngine for generation, lexical retrieval, a fresh SQLite
file), long polling or (``--mode webhook``) behind a webhook that ``bench.load_webhook``
delivers to as Telegram does. Customers behave like people: each types the next question
``--think`` seconds (uniform, default 0.2-2) after the previous one, often before its answer
arrived. Halfway the bot is killed with SIGKILL and started again; at the end it is stopped
with SIGTERM.

``--instances N`` (more than one) or ``--database postgresql``: the scale-out run of
``bench.load_fleet`` instead: N ``supportbot run`` instances in webhook mode on one PostgreSQL
database (``--database-url``, else ``TEST_DATABASE_URL``; it is emptied) behind a round-robin
balancer, compared with one instance, one of the N SIGKILLed mid-way unless ``--no-kill``.

``--faults``: 10 % of ``sendMessage`` / ``editMessageText`` / ``sendChatAction`` calls fail
before they take effect, as on Telegram (half 429 with ``parameters.retry_after`` 1, a quarter
502, a quarter a reset connection) and 5 % of generations fail or time out. Scoring
(``lost``, ``wrong_reply``, ``duplicates``, ``out_of_order``) is in ``bench.load_scoring``; the
bot's log is scanned for tracebacks and ERROR lines (``log_tracebacks``, ``log_errors``).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.load_bot import BotProcess, bot_environment
from bench.load_scoring import (
    UNTRACKED,
    Asked,
    Score,
    log_findings,
    score_chat,
    stored_turns,
    summary,
    tracked_questions,
)
from bench.load_webhook import WebhookPusher, free_port, webhook_environment
from bot.config import Settings
from tests.channels.telegram.fake_bot_api import Chaos, FakeBotApi

FAULTY_METHODS = {"sendMessage", "editMessageText", "sendChatAction"}
THINK = (0.2, 2.0)
DRAIN_SECONDS = 90.0


class TimedBotApi(FakeBotApi):
    """The fake Bot API, remembering when each bot message was created."""

    def __init__(self) -> None:
        super().__init__()
        self.created: dict[tuple[int, int], float] = {}

    def _store_bot_message(self, chat: dict, **content: Any) -> dict[str, Any]:
        message = super()._store_bot_message(chat, **content)
        self.created[(chat["id"], message["message_id"])] = time.monotonic()
        return message


async def customer(
    api: FakeBotApi,
    number: int,
    pool: list[Any],
    until: float,
    rng: random.Random,
    plan: tuple[int, float, float],
) -> list[Asked]:
    """One customer: ``plan`` = (questions, think time low, high): arrives at a random moment
    before ``until``, then asks that many questions (distinct answers if tracked) one think
    time after another, whether the answer came or not."""
    questions, *think = plan
    user = api.user(100_000 + number, f"Customer {number}")
    untracked = number % 10 == 9
    choices = list(UNTRACKED if untracked else pool)
    rng.shuffle(choices)
    asked: list[Asked] = []
    seen: set[str] = set()
    await asyncio.sleep(rng.uniform(0, max(0.0, until - time.monotonic())))
    for choice in choices:
        if len(asked) == questions:
            break
        if not untracked and choice.answer in seen:
            continue
        text = choice if untracked else choice.question
        api.send_text(user, text)
        asked.append(Asked(number, text, time.monotonic(), None if untracked else choice))
        if not untracked:
            seen.add(choice.answer)
        await asyncio.sleep(rng.uniform(*think))
    return asked


def final_replies(api: TimedBotApi, chat_id: int) -> list[tuple[str, float]]:
    return [
        (m.get("text", ""), api.created.get((chat_id, m["message_id"]), 0.0))
        for m in api.bot_messages(chat_id)
        if not m.get("text", "").endswith(" …")
    ]


async def drive(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{folder / 'calibration.db'}",
        embedding_model="none",
        model_cache_dir=folder / "models",
    )
    pool = await tracked_questions(settings)
    api = TimedBotApi()
    await api.start()
    if args.faults:
        api.chaos = Chaos(0.10, FAULTY_METHODS, seed=args.seed)
    env = bot_environment(folder, api, args.faults)
    pusher: WebhookPusher | None = None
    if args.mode == "webhook":
        port = free_port()
        env.update(webhook_environment(port))
        pusher = WebhookPusher(api, port)
    bot = BotProcess(env, folder)
    await bot.start()
    ready = "setWebhook" if pusher is not None else "deleteWebhook"
    await api.wait_until(lambda: api.sent(ready), within=120)
    if pusher is not None:
        pusher.start()
    rng = random.Random(args.seed)
    started = time.monotonic()
    until = started + args.seconds
    low, high = (float(x) for x in args.think.split(","))
    plan = (args.questions, low, high)
    customers = [
        asyncio.create_task(customer(api, n, pool, until, random.Random(rng.random()), plan))
        for n in range(args.customers)
    ]
    killed = await killer(bot, api, started + args.seconds / 2) if args.kill else 0
    asked = [q for questions in await asyncio.gather(*customers) for q in questions]
    await drain(api, bot, asked)
    exit_status = await bot.stop()
    if pusher is not None:
        await pusher.stop()
    result = score(api, asked, pool, started, killed, bot, exit_status, folder / "bot.db")
    setup = {"mode": args.mode, "questions_each": args.questions, "think_seconds": [low, high]}
    return {**setup, **result, **log_findings(folder)}


async def killer(bot: BotProcess, api: FakeBotApi, at: float) -> int:
    """Watch the bot's memory; SIGKILL it at ``at`` and start it again."""
    while time.monotonic() < at:
        bot.watch()
        await asyncio.sleep(0.5)
    await bot.kill()
    await bot.start()
    return 1


async def drain(api: TimedBotApi, bot: BotProcess, asked: list[Asked]) -> None:
    """Wait (bounded) until every customer has as many replies as questions."""
    want: dict[int, int] = {}
    for q in asked:
        want[q.customer] = want.get(q.customer, 0) + 1
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        bot.watch()
        short = [c for c, n in want.items() if len(final_replies(api, 100_000 + c)) < n]
        if not short:
            return
        await asyncio.sleep(0.5)


def score(
    api: TimedBotApi,
    asked: list[Asked],
    pool: list[Any],
    started: float,
    restarts: int,
    bot: BotProcess,
    exit_status: int,
    database: Path,
) -> dict[str, Any]:
    result = Score()
    stored = stored_turns(database)
    by_customer: dict[int, list[Asked]] = {}
    shown: list[dict[str, Any]] = []  # a few chats that lost, repeated or reordered something
    for q in asked:
        by_customer.setdefault(q.customer, []).append(q)
    for number, questions in by_customer.items():
        before = (result.lost, result.duplicates, result.out_of_order, result.wrong_reply)
        replies = final_replies(api, 100_000 + number)
        score_chat(questions, replies, stored.get(100_000 + number, []), result, pool)
        after = (result.lost, result.duplicates, result.out_of_order, result.wrong_reply)
        if before != after and len(shown) < 5:
            shown.append({"asked": [q.text for q in questions],
                          "replies": [text[:60] for text, _ in replies]})  # fmt: skip
    last = max(api.created.values(), default=started)
    faults = api.chaos.injected if api.chaos else {}
    return summary(
        result,
        restarts=restarts,
        peak_rss_mb=round(bot.peak_mb, 1),
        throughput_answers_per_s=round(result.answered / max(last - started, 1e-9), 2),
        tracked_question_pool=len(pool),
        faults_injected={"429": faults.get(429, 0), "5xx": faults.get(502, 0),
                         "reset": faults.get(0, 0)},
        final_exit_status=exit_status,
        load_average=[round(x, 2) for x in os.getloadavg()],
        problem_chats=shown,
    )  # fmt: skip


def scale_out(args: argparse.Namespace) -> int:
    """Several instances on PostgreSQL: ``bench.load_fleet`` with the same customers."""
    from bench import load_fleet

    argv = ["--instances", str(max(args.instances, 1)), "--database-url", args.database_url]
    argv += ["--customers", str(args.customers)] + (["--kill"] if args.kill else [])
    return load_fleet.main(argv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--no-kill", dest="kill", action="store_false")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--think", default=f"{THINK[0]},{THINK[1]}", help="seconds LO,HI")
    parser.add_argument("--questions", type=int, default=4, help="questions per customer")
    parser.add_argument("--mode", choices=("polling", "webhook"), default="polling")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    if args.instances > 1 or args.database == "postgresql":
        sys.exit(scale_out(args))
    logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="supportbot-load-") as folder:
        result = asyncio.run(drive(args, Path(folder)))
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
