"""A channel's small state kept across restarts: one JSON value per (channel, key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelState


async def load(*, session: AsyncSession, channel: str) -> dict[str, Any]:
    rows = await session.scalars(select(ChannelState).where(ChannelState.channel == channel))
    return {row.key: row.value for row in rows}


async def put(*, session: AsyncSession, channel: str, key: str, value: Any, now: datetime) -> None:
    """Set one key (insert or update)."""
    row = await session.get(ChannelState, (channel, key))
    if row is None:
        session.add(ChannelState(channel=channel, key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
