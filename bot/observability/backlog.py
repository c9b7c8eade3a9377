"""Inbox backlog and outbox pending, where this build has a durable inbox and outbox.

The inbox/outbox tables come from the "nothing lost" work; until they exist this answers
``None`` (shown as "n/a"), so ``/metrics`` and ``supportbot status`` work on every build.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def read(session: AsyncSession) -> tuple[int | None, int | None]:
    """(updates received and not yet handled, replies not yet delivered), None where unknown."""
    return None, None
