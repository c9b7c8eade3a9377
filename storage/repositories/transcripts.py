"""Conversations for the web console: customers by recent activity, transcripts, hand-offs.

Reads only; texts purged by retention show as missing, and a customer who used ``/forget`` has
no rows left, so they appear nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatSession, Feedback, Message, SessionState, User
from storage.repositories import message_search

TEXT_MATCHES = 2_000  # newest matching messages a text search looks at


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """One customer in the conversations list."""

    user_id: int
    external_id: int
    channel: str
    name: str | None
    last_active: datetime
    sessions: int


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One message with how it was made and the customer's rating of it."""

    id: int
    session_id: int
    role: str
    text: str | None
    created_at: datetime
    mode: str | None
    confidence: float | None
    faq_ids: list[int]
    latency_ms: int | None
    rating: int | None


async def customers(
    *, session: AsyncSession, text: str = "", user: str = "", offset: int = 0, limit: int = 50
) -> list[CustomerRow]:
    """Customers, most recently active first; ``text`` searches their messages, ``user``
    their name or id."""
    last = func.max(ChatSession.last_active_at)
    query = (
        select(User, last, func.count(ChatSession.id))
        .join(ChatSession, ChatSession.user_id == User.id)
        .group_by(User.id)
        .order_by(last.desc())
        .offset(offset)
        .limit(limit)
    )
    if user.strip():
        needle = user.strip()
        matches = [User.name.icontains(needle, autoescape=True)]
        if needle.lstrip("-").isdigit():
            matches.append(User.external_id == int(needle))
        query = query.where(or_(*matches))
    if text.strip():
        # Customers with one of the TEXT_MATCHES newest messages matching (the full-text
        # index), so a common word does not read every row.
        dialect = session.get_bind().dialect.name
        matching = message_search.matching_users(text.strip(), dialect=dialect, limit=TEXT_MATCHES)
        query = query.where(User.id.in_(matching))
    rows = await session.execute(query)
    return [
        CustomerRow(u.id, u.external_id, u.channel, u.name, when, int(n)) for u, when, n in rows
    ]


async def customer(*, session: AsyncSession, user_id: int) -> User | None:
    """The customer with this database id."""
    return await session.get(User, user_id)


def _line(message: Message, rating: int | None) -> TranscriptLine:
    return TranscriptLine(
        id=message.id,
        session_id=message.session_id,
        role=message.role,
        text=message.text,
        created_at=message.created_at,
        mode=message.mode,
        confidence=message.confidence,
        faq_ids=list(message.faq_ids or []),
        latency_ms=message.latency_ms,
        rating=rating,
    )


async def transcript(
    *,
    session: AsyncSession,
    user_id: int | None = None,
    session_id: int | None = None,
    after_id: int = 0,
    limit: int = 300,
) -> list[TranscriptLine]:
    """The last ``limit`` messages of a customer (or of one session), oldest first."""
    query = (
        select(Message, Feedback.rating)
        .join(ChatSession, ChatSession.id == Message.session_id)
        .outerjoin(Feedback, Feedback.message_id == Message.id)
        .where(Message.id > after_id)
    )
    if user_id is not None:
        query = query.where(ChatSession.user_id == user_id)
    if session_id is not None:
        query = query.where(Message.session_id == session_id)
    rows = await session.execute(query.order_by(Message.id.desc()).limit(limit))
    return [_line(message, rating) for message, rating in reversed(list(rows))]


async def open_handoffs(*, session: AsyncSession) -> list[tuple[ChatSession, User]]:
    """Sessions with a human agent now, oldest hand-off first, with their customer."""
    rows = await session.execute(
        select(ChatSession, User)
        .join(User, User.id == ChatSession.user_id)
        .where(ChatSession.state == SessionState.HUMAN, ChatSession.ended_at.is_(None))
        .order_by(ChatSession.handoff_at)
    )
    return [(chat, user) for chat, user in rows]
