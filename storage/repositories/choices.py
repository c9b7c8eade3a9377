"""Customers' "did you mean" picks: record one, and find the picks for some questions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AnswerChoice, utcnow


async def record(
    *,
    session: AsyncSession,
    message_id: int,
    faq_entry_id: int,
    offered: Sequence[int] = (),
    now: datetime | None = None,
) -> AnswerChoice:
    """Store that the question ``message_id`` meant entry ``faq_entry_id``."""
    choice = AnswerChoice(
        message_id=message_id,
        faq_entry_id=faq_entry_id,
        offered=list(offered),
        chosen_at=now or utcnow(),
    )
    session.add(choice)
    await session.flush()
    return choice


async def chosen_for(*, session: AsyncSession, message_ids: Sequence[int]) -> dict[int, int]:
    """The entry picked for each of these questions that got a pick (the latest pick wins)."""
    if not message_ids:
        return {}
    rows = await session.scalars(
        select(AnswerChoice)
        .where(AnswerChoice.message_id.in_(list(message_ids)))
        .order_by(AnswerChoice.id)
    )
    return {row.message_id: row.faq_entry_id for row in rows}
