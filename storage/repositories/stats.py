"""Statistics for admins: activity, answer-mode mix, feedback and latency over a period.

Counts read message rows, not texts, so they survive the retention purge.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatSession, Feedback, Message, SessionState, utcnow


@dataclass(slots=True)
class Stats:
    """What happened in the last ``days`` days."""

    days: int
    users: int = 0
    sessions: int = 0
    messages: int = 0
    modes: dict[str, int] = field(default_factory=dict)
    thumbs_up: int = 0
    thumbs_down: int = 0
    median_latency_ms: float | None = None
    open_handoffs: int = 0
    unanswered: int = 0


async def collect(*, session: AsyncSession, days: int = 7, now: datetime | None = None) -> Stats:
    """Gather the figures behind ``/stats``."""
    since = (now or utcnow()) - timedelta(days=days)
    stats = Stats(days=days)
    stats.users = (
        await session.scalar(
            select(func.count(func.distinct(ChatSession.user_id))).where(
                ChatSession.last_active_at >= since
            )
        )
        or 0
    )
    stats.sessions = (
        await session.scalar(
            select(func.count()).select_from(ChatSession).where(ChatSession.started_at >= since)
        )
        or 0
    )
    stats.messages = (
        await session.scalar(
            select(func.count()).select_from(Message).where(Message.created_at >= since)
        )
        or 0
    )
    mode_rows = await session.execute(
        select(Message.mode, func.count())
        .where(Message.created_at >= since, Message.role == "assistant", Message.mode.is_not(None))
        .group_by(Message.mode)
    )
    stats.modes = {str(mode): int(n) for mode, n in mode_rows}
    rating_rows = await session.execute(
        select(Feedback.rating, func.count())
        .where(Feedback.created_at >= since)
        .group_by(Feedback.rating)
    )
    for rating, n in rating_rows:
        if rating > 0:
            stats.thumbs_up = int(n)
        else:
            stats.thumbs_down = int(n)
    latencies = list(
        await session.scalars(
            select(Message.latency_ms).where(
                Message.created_at >= since,
                Message.role == "assistant",
                Message.latency_ms.is_not(None),
            )
        )
    )
    if latencies:
        stats.median_latency_ms = float(statistics.median(latencies))
    stats.open_handoffs = (
        await session.scalar(
            select(func.count())
            .select_from(ChatSession)
            .where(ChatSession.state == SessionState.HUMAN, ChatSession.ended_at.is_(None))
        )
        or 0
    )
    stats.unanswered = (
        await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.created_at >= since, Message.unanswered.is_(True))
        )
        or 0
    )
    return stats
