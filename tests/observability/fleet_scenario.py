"""The customers' side of the fleet scale test and ``bench.load_fleet``: who asks what, through
the balancer, and how the answers are scored (lost, duplicated, out of order).

Questions are demo FAQ questions; each is checked by a phrase of its answer, because the words
around it may vary with the conversation (a hedge when the policy is less sure).
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.channels.telegram.conftest import is_final
from tests.channels.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.observability.fleet import WEBHOOK_PATH, WEBHOOK_SECRET, FakeOpenAI, Fleet, RoundRobin

ANSWERS = {
    "How long does shipping take?": "3-5 business days",
    "How can I track my order?": "tracking link",
    "What is your return policy?": "within 30 days of delivery",
    "Which payment methods do you accept?": "We accept Visa",
    "Can I get an invoice for my order?": "PDF invoice",
    "How do I use a discount code?": "Discount code",
}
QUESTIONS = tuple(ANSWERS)
Labels = tuple[tuple[str, str], ...]


def fleet_env(
    database_url: str, api: FakeBotApi, llm: FakeOpenAI, *, interval_minutes: int = 1
) -> dict[str, str]:
    """Settings every instance shares: webhook mode, one database, the fake services."""
    return {
        "SUPPORTBOT_DATABASE_URL": database_url,
        "SUPPORTBOT_TELEGRAM_TOKEN": TOKEN,
        "SUPPORTBOT_TELEGRAM_BASE_URL": api.base_url,
        "SUPPORTBOT_WEBHOOK_URL": f"https://bot.example.com/{WEBHOOK_PATH}",
        "SUPPORTBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SUPPORTBOT_WEBHOOK_LISTEN": "127.0.0.1",
        "SUPPORTBOT_MODEL": llm.model_setting,
        "SUPPORTBOT_EMBEDDING_MODEL": "none",
        "SUPPORTBOT_CLEANUP_INTERVAL_MINUTES": str(interval_minutes),
        "SUPPORTBOT_DELIVERY_LEASE_SECONDS": "15",
        "SUPPORTBOT_LOG_FORMAT": "json",
    }


async def start_fleet(fleet: Fleet) -> None:
    """Schema first (instances must not race to migrate an empty database), then one instance
    (it imports the demo FAQ on first start), then the others."""
    await fleet.command("db", "upgrade")
    first, *others = fleet.instances
    await fleet.start(first)
    await fleet.wait_ready(first)
    for instance in others:
        await fleet.start(instance)
    for instance in others:
        await fleet.wait_ready(instance)


class Customers:
    """Customers writing through the balancer, and what the bot answered each of them."""

    def __init__(self, api: FakeBotApi, balancer: RoundRobin) -> None:
        self.api = api
        self.balancer = balancer
        self.update_ids = itertools.count(1)
        self.sent: dict[int, list[str]] = {}
        self.posted = 0

    async def say(self, user: dict[str, Any], text: str) -> None:
        message = self.api.send_text(user, text)  # registers the message with the fake API
        self.sent.setdefault(user["id"], []).append(text)
        await self.balancer.post({"update_id": next(self.update_ids), "message": message})
        self.posted += 1

    def answers(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.api.bot_messages(chat_id) if is_final(m)]

    def all_answered(self) -> bool:
        return all(len(self.answers(c)) >= len(q) for c, q in self.sent.items())

    async def answered(self, chat_id: int, count: int, within: float = 60.0) -> list[str]:
        return await self.api.wait_until(
            lambda: texts if len(texts := self.answers(chat_id)) >= count else None, within
        )

    async def problems(self, within: float = 120.0) -> tuple[list[Any], list[Any], list[Any]]:
        """(lost, duplicated, out of order) chats, waiting ``within`` for the answers.

        A chat whose answers are all there in order, one of them shown twice in a row (the
        repeat a crash can cause, ``docs/telegram.md``), is duplicated; any other extra or
        missing answer, or a wrong order, is out of order."""
        lost, duplicates, out_of_order = [], [], []
        for chat_id, questions in self.sent.items():
            try:
                got = await self.answered(chat_id, len(questions), within=within)
            except TimeoutError:
                lost.append((chat_id, self.answers(chat_id)))
                continue
            shown = [text for text, _ in itertools.groupby(got)]  # a repeat right after itself
            if len(shown) != len(questions) or not all(
                ANSWERS[q] in text for q, text in zip(questions, shown, strict=True)
            ):
                out_of_order.append((chat_id, questions, got))
            elif len(got) > len(questions):
                duplicates.append((chat_id, got))
        return lost, duplicates, out_of_order


def repeated_replies(duplicates: list[Any]) -> int:
    """How many replies were shown twice, over the duplicated chats of ``problems``."""
    return sum(len(got) - sum(1 for _ in itertools.groupby(got)) for _, got in duplicates)


def parse_metrics(text: str) -> dict[tuple[str, Labels], float]:
    """Every sample of an exposition as (name, sorted labels) -> value."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[tuple[str, Labels], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def fleet_totals(metrics_url: str) -> tuple[float, float]:
    """(messages received, replies) on the Telegram channel, as one instance's /metrics says."""
    async with httpx.AsyncClient(timeout=10) as client:
        found = parse_metrics((await client.get(metrics_url)).text)
    telegram = ("channel", "telegram")
    received = found.get(("supportbot_messages_received_total", (telegram,)), 0.0)
    answered = sum(
        value
        for (name, labels), value in found.items()
        if name == "supportbot_messages_answered_total" and telegram in labels
    )
    return received, answered


async def sent_mark_window(metrics_urls: list[str]) -> dict[str, Any]:
    """How long replies Telegram had stayed unmarked (``supportbot_sent_mark_seconds``), over
    the given instances: how many, the mean, and how many took over 5 and over 25 ms."""
    count = total = over_5ms = over_25ms = 0.0
    async with httpx.AsyncClient(timeout=10) as client:
        for url in metrics_urls:
            found = parse_metrics((await client.get(url)).text)
            name = "supportbot_sent_mark_seconds"
            n = found.get((f"{name}_count", ()), 0.0)
            count, total = count + n, total + found.get((f"{name}_sum", ()), 0.0)
            over_5ms += n - found.get((f"{name}_bucket", (("le", "0.005"),)), n)
            over_25ms += n - found.get((f"{name}_bucket", (("le", "0.025"),)), n)
    return {
        "marks": int(count),
        "mean_ms": round(1000 * total / count, 2) if count else None,
        "over_5ms": int(over_5ms),
        "over_25ms": int(over_25ms),
    }
