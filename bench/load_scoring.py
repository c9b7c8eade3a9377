"""``bench.load``'s questions and its scoring: which reply answers which question.

Questions: the demo FAQ's own questions (and a lower-case wording) for which the real
conversation service, run once in this process on a scratch database, gives the curated answer
word for word as a session's first question; answers that contain one another are dropped, so
a reply's text names the question it answers. Those are *tracked*: each must be answered once,
with its own answer, in the order the customer asked. (An earlier version also dropped every
question that got another entry's answer right after another question, which hid issue 22: a
customer who changed the subject got the earlier topic's answer.) A tenth of the customers ask
*untracked* questions (nothing in the FAQ, or only close to it: these reach the engine, whose
failures are injected) and must get one reply each.

A chat's replies are read in order: a reply naming the answer of the question being waited
for answers it; the same answer again right after it is a repeat (``duplicates``: what a
SIGKILL between Telegram's answer and the sent-mark can cause); a tracked answer that is not
that (another entry's, or an earlier question's after another answer came between) is a
``wrong_reply``, and a question whose answer never came is ``lost``.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import open_app
from bot.config import Settings
from bot.conversation.exchange import AnswerMode, Incoming
from bot.engine.fake import FakeEngine
from storage.repositories import faq

UNTRACKED = [
    "Do you sell gift wrapping for birthday presents?",
    "Can I visit your warehouse in person?",
    "Is there a student discount on shipping?",
    "What is the history of your company?",
    "Do your products come with a manual in Spanish?",
    "Could I pay part of an order with store credit and part with card?",
    "Do you have a loyalty program for returning customers?",
    "How do I change the email address on my account and my orders?",
]


def flat(text: str) -> str:
    """Whitespace-insensitive form: Telegram's rendering may re-space paragraphs."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Tracked:
    question: str
    answer: str


async def tracked_questions(settings: Settings) -> list[Tracked]:
    """FAQ questions whose reply is the curated answer asked first in a session, with answers
    that are told apart."""
    logging.getLogger("bot").setLevel(logging.WARNING)
    async with open_app(settings, engine=FakeEngine()) as app:
        async with app.session_factory() as s:
            entries = await faq.list_entries(session=s, enabled_only=True, language="en")
        users = itertools.count(10_000)

        async def answer(*questions: str) -> str:
            user = next(users)
            for question in questions:
                reply = await app.conversation.handle(Incoming(user, user, question, "bench"))
            return flat(reply.text) if reply.mode is AnswerMode.FAQ else ""

        kept = [
            Tracked(wording, flat(entry.answer))
            for entry in entries
            for wording in (entry.question, entry.question.lower())
            if await answer(wording) == flat(entry.answer)
        ]
    answers = {t.answer for t in kept}
    distinct = {a for a in answers if not any(a != b and (a in b or b in a) for b in answers)}
    return [t for t in kept if t.answer in distinct]


@dataclass(slots=True)
class Asked:
    """One question a customer sent, and when (the bench's monotonic clock)."""

    customer: int
    text: str
    at: float
    tracked: Tracked | None


@dataclass(slots=True)
class Score:
    messages_sent: int = 0
    answered: int = 0
    lost: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    wrong_reply: int = 0  # a tracked answer sent for a question it does not answer
    other_messages: int = 0  # final bot messages that answer nothing (apologies, notices)
    latencies_ms: list[float] = field(default_factory=list)


def score_chat(
    asked: list[Asked], replies: list[tuple[str, float]], score: Score, known: list[Tracked]
) -> None:
    """Score one customer's chat: ``replies`` are the final bot messages (text, time), in order;
    ``known``: every tracked question of the bench (to tell another entry's answer)."""
    score.messages_sent += len(asked)
    if asked and asked[0].tracked is None:  # untracked customer: one reply per question
        for question, reply in zip(asked, replies, strict=False):
            score.latencies_ms.append((reply[1] - question.at) * 1000)
        score.answered += min(len(asked), len(replies))
        score.lost += max(0, len(asked) - len(replies))
        score.duplicates += max(0, len(replies) - len(asked))
        return
    answers = [q.tracked.answer if q.tracked else "" for q in asked]
    counts = [0] * len(asked)
    order: list[int] = []
    last: int | None = None  # the question the previous tracked reply answered
    for raw, at in replies:
        text = flat(raw)
        index = next((i for i, a in enumerate(answers) if a and a in text), None)
        if index is None:
            if any(t.answer in text for t in known):
                score.wrong_reply += 1  # another entry's answer: not one this customer asked
            else:
                score.other_messages += 1
            continue
        if counts[index] and index != last:
            score.wrong_reply += 1  # an earlier question's answer, after another one came
            continue
        counts[index] += 1
        last = index
        if counts[index] == 1:
            order.append(index)
            score.latencies_ms.append((at - asked[index].at) * 1000)
    score.answered += sum(1 for c in counts if c)
    score.lost += sum(1 for c in counts if not c)
    score.duplicates += sum(c - 1 for c in counts if c > 1)
    score.out_of_order += sum(1 for a, b in itertools.pairwise(order) if b < a)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (Linux ``VmHWM``), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def summary(score: Score, **extra: Any) -> dict[str, Any]:
    lat = score.latencies_ms
    return {
        "messages_sent": score.messages_sent,
        "answered": score.answered,
        "lost": score.lost,
        "duplicates": score.duplicates,
        "out_of_order": score.out_of_order,
        "wrong_reply": score.wrong_reply,
        "latency_p50_ms": percentile(lat, 0.50),
        "latency_p95_ms": percentile(lat, 0.95),
        "latency_p99_ms": percentile(lat, 0.99),
        "other_messages": score.other_messages,
        **extra,
    }
