"""Statistics for admins: activity, answer-mode mix, feedback and latency over a period.

Counts read message rows, not texts, so they survive the retention purge.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
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


async def _count(session: AsyncSession, query: Select[tuple[int]]) -> int:
    return int(await session.scalar(query) or 0)


async def collect(*, session: AsyncSession, days: int = 7, now: datetime | None = None) -> Stats:
    """Gather the figures behind ``/stats``."""
    since = (now or utcnow()) - timedelta(days=days)
    count = select(func.count())
    stats = Stats(days=days)
    stats.users = await _count(
        session,
        select(func.count(func.distinct(ChatSession.user_id))).where(
            ChatSession.last_active_at >= since
        ),
    )
    stats.sessions = await _count(
        session, count.select_from(ChatSession).where(ChatSession.started_at >= since)
    )
    stats.messages = await _count(
        session, count.select_from(Message).where(Message.created_at >= since)
    )
    stats.modes = await _modes(session, since)
    stats.thumbs_up, stats.thumbs_down = await _ratings(session, since)
    stats.median_latency_ms = await _median_latency(session, since)
    stats.open_handoffs = await _count(
        session,
        count.select_from(ChatSession).where(
            ChatSession.state == SessionState.HUMAN, ChatSession.ended_at.is_(None)
        ),
    )
    stats.unanswered = await _count(
        session,
        count.select_from(Message).where(Message.created_at >= since, Message.unanswered.is_(True)),
    )
    return stats


async def _modes(session: AsyncSession, since: datetime) -> dict[str, int]:
    rows = await session.execute(
        select(Message.mode, func.count())
        .where(Message.created_at >= since, Message.role == "assistant", Message.mode.is_not(None))
        .group_by(Message.mode)
    )
    return {str(mode): int(n) for mode, n in rows}


async def _ratings(session: AsyncSession, since: datetime) -> tuple[int, int]:
    """(thumbs up, thumbs down) given since ``since``."""
    rows = await session.execute(
        select(Feedback.rating, func.count())
        .where(Feedback.created_at >= since)
        .group_by(Feedback.rating)
    )
    up = down = 0
    for rating, n in rows:
        if rating > 0:
            up += int(n)
        else:
            down += int(n)
    return up, down


async def _median_latency(session: AsyncSession, since: datetime) -> float | None:
    latencies = list(
        await session.scalars(
            select(Message.latency_ms).where(
                Message.created_at >= since,
                Message.role == "assistant",
                Message.latency_ms.is_not(None),
            )
        )
    )
    return float(statistics.median(latencies)) if latencies else None
