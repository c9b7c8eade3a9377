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

Scoring a chat: the bot's own database (read after it stopped) says which reply was stored
for which question (the turn's ``origin`` key): a stored reply that is another tracked entry's
answer is a ``wrong_reply`` (the question is then ``lost`` too, unless its own answer came
later). What Telegram shows is compared with what was stored: an answer shown more often than
it was stored is a repeat (``duplicates``: what a SIGKILL between Telegram's answer and the
sent-mark can cause), a question whose own answer was never shown is ``lost``, and first
answers shown out of the asked order are ``out_of_order``.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
from collections import Counter
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

        async def answer(question: str) -> str:
            """The curated reply to ``question`` as a new customer's first message, else ""."""
            user = next(users)
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
    asked: list[Asked],
    replies: list[tuple[str, float]],
    stored: list[tuple[str, str]],
    score: Score,
    known: list[Tracked],
) -> None:
    """Score one customer's chat: ``replies`` are the final bot messages (text, time) in
    order, ``stored`` the chat's stored turns (question, reply) in order; ``known``: every
    tracked question of the bench (to tell another entry's answer)."""
    score.messages_sent += len(asked)
    if asked and asked[0].tracked is None:  # untracked customer: one reply per question
        for question, reply in zip(asked, replies, strict=False):
            score.latencies_ms.append((reply[1] - question.at) * 1000)
        score.answered += min(len(asked), len(replies))
        score.lost += max(0, len(asked) - len(replies))
        score.duplicates += max(0, len(replies) - len(asked))
        return
    expected = {flat(t.question): t.answer for t in known}
    answers = {t.answer for t in known}
    shown = Counter(a for raw, _ in replies for a in answers if a in flat(raw))
    kept = Counter(a for _, reply in stored for a in answers if a in flat(reply))
    for question, reply in stored:
        own = expected.get(flat(question))
        if own is not None and own not in flat(reply) and any(a in flat(reply) for a in answers):
            score.wrong_reply += 1
    score.duplicates += sum(max(0, n - kept[a]) for a, n in shown.items())
    score.other_messages += sum(1 for raw, _ in replies if not any(a in flat(raw) for a in answers))
    order: list[int] = []
    for raw, at in replies:
        text = flat(raw)
        index = next(
            (i for i, q in enumerate(asked) if q.tracked and q.tracked.answer in text), None
        )
        if index is not None and index not in order:
            order.append(index)
            score.latencies_ms.append((at - asked[index].at) * 1000)
    score.answered += len(order)
    score.lost += len(asked) - len(order)
    score.out_of_order += sum(1 for a, b in itertools.pairwise(order) if b < a)


def stored_turns(database: Path) -> dict[int, list[tuple[str, str]]]:
    """The bot's stored (question, reply) pairs per Telegram chat, in stored order, paired by
    the turn's origin key ("telegram:<chat>:<update>:<n>")."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT role, origin, text FROM messages ORDER BY id").fetchall()
    questions = {origin: text or "" for role, origin, text in rows if role == "user" and origin}
    turns: dict[int, list[tuple[str, str]]] = {}
    for role, origin, text in rows:
        if role == "assistant" and origin in questions and origin.startswith("telegram:"):
            chat = int(origin.split(":")[1])
            turns.setdefault(chat, []).append((questions[origin], text or ""))
    return turns


def log_findings(folder: Path) -> dict[str, Any]:
    """Tracebacks and ERROR lines in the bot's logs (a retried send must leave neither), with
    the log line that each traceback followed."""
    lines = [
        line
        for path in sorted(folder.glob("bot-*.log"))
        for line in path.read_text(errors="replace").splitlines()
    ]
    traced = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent")]
    causes = Counter(lines[i - 1][:120] if i else "" for i in traced)
    errors = [line[:160] for line in lines if "ERROR" in line.split(" ", 4)[:4]]
    return {
        "log_tracebacks": len(traced),
        "log_traceback_causes": dict(causes.most_common(3)),
        "log_errors": len(errors),
        "log_error_samples": errors[:3],
    }


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
