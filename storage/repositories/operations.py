"""Read-only figures about the running bot, for ``/metrics`` and ``supportbot status``.

Everything here is counted from rows that survive the retention purge (modes, latencies,
ratings), so the figures are fleet-wide: every instance sharing the database reads the same
numbers. The latency histogram is computed in SQL (one ``SUM(CASE …)`` per bucket), so a
scrape costs one pass over the bot's replies and no per-message bookkeeping anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ChatSession,
    FaqEntry,
    Feedback,
    InboxItem,
    InboxState,
    Message,
    OutboxItem,
    OutboxState,
    SessionState,
    User,
    utcnow,
)

# Reply latency buckets in milliseconds (Prometheus' le labels are these / 1000 seconds).
LATENCY_BUCKETS_MS: tuple[int, ...] = (25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)
# Replies to a question: the denominator of the confident-answer share.
QUESTION_MODES = ("faq", "generated", "fallback", "handoff")
CONFIDENT_MODE = "faq"


@dataclass(slots=True)
class LatencyHistogram:
    """Cumulative bucket counts (one per ``LATENCY_BUCKETS_MS``), total count and sum in ms."""

    buckets: list[int]
    count: int = 0
    sum_ms: int = 0


@dataclass(slots=True)
class Figures:
    """What the database says about the bot's work so far."""

    received: dict[str, int] = field(default_factory=dict)  # channel -> customer messages
    answered: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, mode)
    latency: dict[str, LatencyHistogram] = field(default_factory=dict)  # mode -> histogram
    thumbs_up: int = 0
    thumbs_down: int = 0
    open_handoffs: int = 0
    confident_replies: int = 0  # in the window
    question_replies: int = 0  # in the window

    @property
    def confident_share(self) -> float | None:
        """Share of replies to questions answered from the FAQ with confidence (window)."""
        return self.confident_replies / self.question_replies if self.question_replies else None


async def messages_by_channel(
    *, session: AsyncSession
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """(customer messages by channel, bot replies by (channel, mode))."""
    base = (
        select(User.channel, Message.role, Message.mode, func.count())
        .select_from(Message)
        .join(ChatSession, Message.session_id == ChatSession.id)
        .join(User, ChatSession.user_id == User.id)
        .where(Message.role.in_(("user", "assistant")))
        .group_by(User.channel, Message.role, Message.mode)
    )
    received: dict[str, int] = {}
    answered: dict[tuple[str, str], int] = {}
    for channel, role, mode, n in await session.execute(base):
        if role == "user":
            received[channel] = received.get(channel, 0) + int(n)
        elif mode is not None:
            answered[(channel, mode)] = answered.get((channel, mode), 0) + int(n)
    return received, answered


async def latency_by_mode(
    *, session: AsyncSession, buckets_ms: Sequence[int] = LATENCY_BUCKETS_MS
) -> dict[str, LatencyHistogram]:
    """Histogram of stored reply latencies per answer mode, cumulative like Prometheus'."""
    columns = [func.sum(case((Message.latency_ms <= b, 1), else_=0)) for b in buckets_ms]
    query = (
        select(Message.mode, func.count(), func.sum(Message.latency_ms), *columns)
        .where(
            Message.role == "assistant",
            Message.mode.is_not(None),
            Message.latency_ms.is_not(None),
        )
        .group_by(Message.mode)
    )
    histograms: dict[str, LatencyHistogram] = {}
    for mode, count, total, *cumulative in await session.execute(query):
        histograms[str(mode)] = LatencyHistogram(
            buckets=[int(c or 0) for c in cumulative], count=int(count), sum_ms=int(total or 0)
        )
    return histograms


async def ratings(*, session: AsyncSession) -> tuple[int, int]:
    """(👍, 👎) given so far."""
    up = func.sum(case((Feedback.rating > 0, 1), else_=0))
    down = func.sum(case((Feedback.rating <= 0, 1), else_=0))
    row = (await session.execute(select(up, down))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def open_handoffs(*, session: AsyncSession) -> int:
    """Conversations a human agent has now."""
    query = select(func.count()).where(
        ChatSession.state == SessionState.HUMAN, ChatSession.ended_at.is_(None)
    )
    return int(await session.scalar(query) or 0)


async def confident_replies(
    *, session: AsyncSession, window: timedelta, now: datetime | None = None
) -> tuple[int, int]:
    """(confident FAQ replies, replies to questions) in the last ``window``."""
    since = (now or utcnow()) - window
    confident = func.sum(case((Message.mode == CONFIDENT_MODE, 1), else_=0))
    row = (
        await session.execute(
            select(confident, func.count()).where(
                Message.role == "assistant",
                Message.created_at >= since,
                Message.mode.in_(QUESTION_MODES),
            )
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


async def collect(
    *, session: AsyncSession, window: timedelta = timedelta(hours=24), now: datetime | None = None
) -> Figures:
    """Every figure above in one read."""
    figures = Figures()
    figures.received, figures.answered = await messages_by_channel(session=session)
    figures.latency = await latency_by_mode(session=session)
    figures.thumbs_up, figures.thumbs_down = await ratings(session=session)
    figures.open_handoffs = await open_handoffs(session=session)
    figures.confident_replies, figures.question_replies = await confident_replies(
        session=session, window=window, now=now
    )
    return figures


async def faq_by_language(*, session: AsyncSession) -> dict[str, dict[str, int]]:
    """FAQ entries per language: {"en": {"enabled": 12, "disabled": 1}}."""
    query = select(FaqEntry.language, FaqEntry.enabled, func.count()).group_by(
        FaqEntry.language, FaqEntry.enabled
    )
    languages: dict[str, dict[str, int]] = {}
    for language, enabled, n in await session.execute(query):
        counts = languages.setdefault(str(language), {"enabled": 0, "disabled": 0})
        counts["enabled" if enabled else "disabled"] += int(n)
    return languages


async def delivery_backlog(*, session: AsyncSession) -> tuple[int, int]:
    """(inbox items received and not yet handled, outbox replies not yet sent), all channels."""
    inbox = select(func.count()).where(
        InboxItem.state.in_((InboxState.PENDING.value, InboxState.CLAIMED.value))
    )
    outbox = select(func.count()).where(OutboxItem.state == OutboxState.PENDING.value)
    return int(await session.scalar(inbox) or 0), int(await session.scalar(outbox) or 0)
