"""Per-day figures for the console's quality charts, aggregated in the database.

Everything is grouped by UTC day in SQL (``date()`` exists in SQLite and PostgreSQL), and the
latency percentiles are picked with window functions, so a month of 100,000 messages comes back
as a few dozen rows instead of being read into Python.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Feedback, Message


def _day(value: object) -> str:
    return str(value)[:10]


def _window(column: Any, since: datetime, until: datetime | None) -> list[Any]:
    return [column >= since] + ([column < until] if until is not None else [])


async def replies_by_mode(
    *, session: AsyncSession, since: datetime, until: datetime | None = None
) -> dict[str, dict[str, int]]:
    """day -> mode -> number of bot replies."""
    day = func.date(Message.created_at)
    rows = await session.execute(
        select(day, Message.mode, func.count())
        .where(
            *_window(Message.created_at, since, until),
            Message.role == "assistant",
            Message.mode.is_not(None),
        )
        .group_by(day, Message.mode)
    )
    found: dict[str, dict[str, int]] = {}
    for when, mode, n in rows:
        found.setdefault(_day(when), {})[str(mode)] = int(n)
    return found


async def ratings(
    *, session: AsyncSession, since: datetime, until: datetime | None = None
) -> dict[str, tuple[int, int]]:
    """day -> (thumbs up, thumbs down)."""
    day = func.date(Feedback.created_at)
    # A literal 0, not a bound parameter: PostgreSQL must see the very same expression in
    # SELECT and GROUP BY, and two bound parameters are two different expressions to it.
    positive = Feedback.rating > literal_column("0")
    rows = await session.execute(
        select(day, positive, func.count())
        .where(*_window(Feedback.created_at, since, until))
        .group_by(day, positive)
    )
    found: dict[str, tuple[int, int]] = {}
    for when, positive, n in rows:
        up, down = found.get(_day(when), (0, 0))
        found[_day(when)] = (up + int(n), down) if positive else (up, down + int(n))
    return found


async def latency_percentiles(
    *, session: AsyncSession, since: datetime, until: datetime | None = None
) -> dict[str, tuple[int, int]]:
    """day -> (p50, p95) reply latency in milliseconds (nearest rank)."""
    day = func.date(Message.created_at).label("day")
    ranked = (
        select(
            day,
            Message.latency_ms.label("ms"),
            func.row_number()
            .over(partition_by=func.date(Message.created_at), order_by=Message.latency_ms)
            .label("rank"),
            func.count().over(partition_by=func.date(Message.created_at)).label("n"),
        )
        .where(
            *_window(Message.created_at, since, until),
            Message.role == "assistant",
            Message.latency_ms.is_not(None),
        )
        .subquery()
    )
    # Integer division truncates alike in SQLite and PostgreSQL (a cast would round on PG).
    p50 = ranked.c.n * 50 // 100 + 1
    p95 = ranked.c.n * 95 // 100 + 1
    rows = await session.execute(
        select(ranked.c.day, ranked.c.rank, ranked.c.ms, p50, p95).where(
            or_(ranked.c.rank == p50, ranked.c.rank == p95)
        )
    )
    found: dict[str, list[int]] = {}
    for when, rank, ms, at50, at95 in rows:
        pair = found.setdefault(_day(when), [0, 0])
        if rank == at50:
            pair[0] = int(ms)
        if rank == at95:
            pair[1] = int(ms)
    return {when: (pair[0], pair[1]) for when, pair in found.items()}


async def unanswered_key(*, session: AsyncSession) -> tuple[int, int]:
    """(how many, newest id) of the stored unanswered questions: changes whenever one is
    added or resolved, so a grouping of them can be reused until then."""
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.max(Message.id), 0)).where(
                Message.unanswered.is_(True), Message.text.is_not(None)
            )
        )
    ).one()
    return int(row[0]), int(row[1])
