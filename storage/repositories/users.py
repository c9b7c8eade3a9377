"""Users: find-or-create on every message, and the right to be forgotten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatSession, Feedback, Message, User, utcnow


async def get(*, session: AsyncSession, channel: str, external_id: int) -> User | None:
    """The user with this channel id, if known."""
    return await session.scalar(
        select(User).where(User.channel == channel, User.external_id == external_id)
    )


async def get_or_create(
    *,
    session: AsyncSession,
    channel: str,
    external_id: int,
    name: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> User:
    """The user, created on first contact; name, language and last-seen are refreshed."""
    now = now or utcnow()
    user = await get(session=session, channel=channel, external_id=external_id)
    if user is None:
        user = User(
            channel=channel,
            external_id=external_id,
            name=name,
            language=language,
            first_seen=now,
            last_seen=now,
        )
        session.add(user)
        await session.flush()
        return user
    user.last_seen = now
    if name:
        user.name = name
    if language:
        user.language = language
    return user


async def set_language(*, session: AsyncSession, user: User, language: str) -> None:
    """Remember the language the customer chose (``/language``)."""
    user.language = language


async def forget(*, session: AsyncSession, user_id: int) -> dict[str, int]:
    """Delete the user and everything stored about them; returns what was deleted, by kind."""
    session_ids = select(ChatSession.id).where(ChatSession.user_id == user_id)
    counts = {
        "messages": await session.scalar(
            select(func.count()).select_from(Message).where(Message.session_id.in_(session_ids))
        )
        or 0,
        "sessions": await session.scalar(
            select(func.count()).select_from(ChatSession).where(ChatSession.user_id == user_id)
        )
        or 0,
        "feedback": await session.scalar(
            select(func.count()).select_from(Feedback).where(Feedback.user_id == user_id)
        )
        or 0,
    }
    # Explicit deletes, children first, so this works with or without ON DELETE CASCADE.
    message_ids = select(Message.id).where(Message.session_id.in_(session_ids))
    await session.execute(delete(Feedback).where(Feedback.message_id.in_(message_ids)))
    await session.execute(delete(Feedback).where(Feedback.user_id == user_id))
    await session.execute(delete(Message).where(Message.session_id.in_(session_ids)))
    await session.execute(delete(ChatSession).where(ChatSession.user_id == user_id))
    await session.execute(delete(User).where(User.id == user_id))
    session.expunge_all()
    return counts
