"""Chat sessions: open, continue, hand to a human and back, expire when idle."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatSession, Message, SessionState, utcnow


async def get(*, session: AsyncSession, session_id: int) -> ChatSession | None:
    """The session with this id."""
    return await session.get(ChatSession, session_id)


async def current(*, session: AsyncSession, user_id: int, chat_id: int) -> ChatSession | None:
    """The user's open session in this chat (not ended), newest first."""
    return await session.scalar(
        select(ChatSession)
        .where(
            ChatSession.user_id == user_id,
            ChatSession.chat_id == chat_id,
            ChatSession.ended_at.is_(None),
        )
        .order_by(ChatSession.id.desc())
        .limit(1)
    )


async def open_or_continue(
    *,
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    ttl: timedelta,
    language: str | None = None,
    now: datetime | None = None,
) -> tuple[ChatSession, bool]:
    """The session this message belongs to, and whether it is new.

    A session idle longer than ``ttl`` is ended and a new one opened, except a session that is
    with a human agent: that one stays open until the agent hands it back.
    """
    now = now or utcnow()
    chat = await current(session=session, user_id=user_id, chat_id=chat_id)
    if chat is not None and chat.state != SessionState.HUMAN and now - chat.last_active_at > ttl:
        chat.ended_at = chat.last_active_at
        chat = None
    if chat is None:
        chat = ChatSession(
            user_id=user_id,
            chat_id=chat_id,
            started_at=now,
            last_active_at=now,
            language=language,
        )
        session.add(chat)
        await session.flush()
        return chat, True
    chat.last_active_at = now
    if language:
        chat.language = language
    return chat, False


async def end(*, session: AsyncSession, chat: ChatSession, now: datetime | None = None) -> None:
    """End a session (``/reset``); the next message opens a new one."""
    chat.ended_at = now or utcnow()


async def set_state(
    *, session: AsyncSession, chat: ChatSession, state: SessionState, now: datetime | None = None
) -> None:
    """Move a session between the bot and a human agent."""
    state = SessionState(state)  # a stray string fails here, not in a later query
    chat.state = state
    if state is SessionState.HUMAN:
        chat.handoff_at = now or utcnow()
        chat.agent_replied_at = None
    else:
        chat.handoff_at = None
        chat.ticket_message_id = None


async def open_handoffs(*, session: AsyncSession) -> list[ChatSession]:
    """Sessions currently with a human agent, oldest hand-off first."""
    result = await session.scalars(
        select(ChatSession)
        .where(ChatSession.state == SessionState.HUMAN, ChatSession.ended_at.is_(None))
        .order_by(ChatSession.handoff_at)
    )
    return list(result)


async def by_ticket(*, session: AsyncSession, ticket_message_id: int) -> ChatSession | None:
    """The open hand-off whose ticket is this message in the support chat."""
    return await session.scalar(
        select(ChatSession).where(
            ChatSession.ticket_message_id == ticket_message_id, ChatSession.ended_at.is_(None)
        )
    )


async def by_relayed_message(
    *, session: AsyncSession, support_message_id: int
) -> ChatSession | None:
    """The open hand-off that a relayed customer message or an agent reply belongs to.

    During a hand-off, customer and agent messages store the id of their copy in the support
    chat as ``channel_message_id``; an agent replying to that copy reaches this session.
    """
    return await session.scalar(
        select(ChatSession)
        .join(Message, Message.session_id == ChatSession.id)
        .where(
            Message.channel_message_id == support_message_id,
            Message.role.in_(("user", "agent")),
            ChatSession.state == SessionState.HUMAN,
            ChatSession.ended_at.is_(None),
        )
        .order_by(Message.id.desc())
        .limit(1)
    )


async def end_idle(*, session: AsyncSession, ttl: timedelta, now: datetime | None = None) -> int:
    """End every bot session idle longer than ``ttl``; returns how many were ended."""
    cutoff = (now or utcnow()) - ttl
    result = await session.execute(
        update(ChatSession)
        .where(
            ChatSession.ended_at.is_(None),
            ChatSession.state == SessionState.BOT,
            ChatSession.last_active_at < cutoff,
        )
        .values(ended_at=ChatSession.last_active_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def count_idle(*, session: AsyncSession, ttl: timedelta, now: datetime | None = None) -> int:
    """How many bot sessions ``end_idle`` would end (for ``cleanup --dry-run``)."""
    cutoff = (now or utcnow()) - ttl
    return (
        await session.scalar(
            select(func.count())
            .select_from(ChatSession)
            .where(
                ChatSession.ended_at.is_(None),
                ChatSession.state == SessionState.BOT,
                ChatSession.last_active_at < cutoff,
            )
        )
        or 0
    )
