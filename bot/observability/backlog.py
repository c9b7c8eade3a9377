"""Inbox backlog and outbox pending: what the durable delivery has not finished yet.

A growing inbox backlog means customers wait (instances too few or stuck); a growing outbox
means Telegram refuses or cannot be reached. Both are fleet-wide (one shared database).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories import operations


async def read(session: AsyncSession) -> tuple[int | None, int | None]:
    """(updates received and not yet handled, replies not yet delivered)."""
    return await operations.delivery_backlog(session=session)
