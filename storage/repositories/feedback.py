"""Feedback: a customer's 👍/👎 on one reply (the latest click wins)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Feedback, utcnow


async def record(
    *, session: AsyncSession, message_id: int, user_id: int, rating: int, comment: str | None = None
) -> Feedback:
    """Store or replace this user's rating (+1 or -1) of one message."""
    if rating not in (1, -1):
        raise ValueError("rating must be +1 or -1")
    existing = await session.scalar(
        select(Feedback).where(Feedback.message_id == message_id, Feedback.user_id == user_id)
    )
    if existing is not None:
        existing.rating = rating
        existing.comment = comment
        existing.created_at = utcnow()
        return existing
    feedback = Feedback(message_id=message_id, user_id=user_id, rating=rating, comment=comment)
    session.add(feedback)
    await session.flush()
    return feedback
