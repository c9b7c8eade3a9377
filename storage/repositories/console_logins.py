"""One-time login links of the web console: issued, then redeemed at most once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsoleLogin, utcnow


async def issue(
    *, session: AsyncSession, token_id: str, admin_id: int, now: datetime | None = None
) -> ConsoleLogin:
    """Record a newly issued link."""
    login = ConsoleLogin(token_id=token_id, admin_id=admin_id, issued_at=now or utcnow())
    session.add(login)
    await session.flush()
    return login


async def get(*, session: AsyncSession, token_id: str) -> ConsoleLogin | None:
    """The issued link with this id."""
    return await session.scalar(select(ConsoleLogin).where(ConsoleLogin.token_id == token_id))


async def redeem(*, session: AsyncSession, token_id: str, now: datetime | None = None) -> bool:
    """Mark the link used; False when it was used already (one conditional UPDATE, so two
    concurrent redemptions cannot both succeed)."""
    result = await session.execute(
        update(ConsoleLogin)
        .where(ConsoleLogin.token_id == token_id, ConsoleLogin.used_at.is_(None))
        .values(used_at=now or utcnow())
    )
    return bool(getattr(result, "rowcount", 0) == 1)
