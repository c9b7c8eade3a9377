"""Messages: every turn stored, history for prompts, unanswered questions, retention purge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatSession, Message, utcnow


async def add(
    *,
    session: AsyncSession,
    session_id: int,
    role: str,
    text: str,
    language: str | None = None,
    mode: str | None = None,
    faq_ids: Sequence[int] = (),
    confidence: float | None = None,
    model: str | None = None,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    latency_ms: int | None = None,
    unanswered: bool = False,
    channel_message_id: int | None = None,
    origin: str | None = None,
    now: datetime | None = None,
) -> Message:
    """Store one turn and flush it so it has an id.

    ``origin`` names the update the turn belongs to (see ``by_origin``); storing a second
    message of the same role and origin raises ``IntegrityError``.
    """
    message = Message(
        session_id=session_id,
        role=role,
        text=text,
        language=language,
        mode=mode,
        faq_ids=list(faq_ids),
        confidence=confidence,
        model=model,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        latency_ms=latency_ms,
        unanswered=unanswered,
        channel_message_id=channel_message_id,
        origin=origin,
        created_at=now or utcnow(),
    )
    session.add(message)
    await session.flush()
    return message


async def get(*, session: AsyncSession, message_id: int) -> Message | None:
    """The message with this id."""
    return await session.get(Message, message_id)


async def by_origin(*, session: AsyncSession, origin: str, role: str) -> Message | None:
    """The message of this role already stored for the update ``origin`` (a replay's own)."""
    return await session.scalar(
        select(Message).where(Message.origin == origin, Message.role == role)
    )


async def history(
    *, session: AsyncSession, session_id: int, limit: int = 20, before_id: int | None = None
) -> list[Message]:
    """The last ``limit`` turns of a session, oldest first (purged texts left out)."""
    query = select(Message).where(Message.session_id == session_id, Message.text.is_not(None))
    if before_id is not None:
        query = query.where(Message.id < before_id)
    rows = await session.scalars(query.order_by(Message.id.desc()).limit(limit))
    return list(reversed(list(rows)))


async def unanswered(
    *, session: AsyncSession, since: datetime | None = None, limit: int = 200
) -> list[Message]:
    """Recent customer questions that got no confident answer, newest first."""
    query = select(Message).where(Message.unanswered.is_(True), Message.text.is_not(None))
    if since is not None:
        query = query.where(Message.created_at >= since)
    rows = await session.scalars(query.order_by(Message.id.desc()).limit(limit))
    return list(rows)


async def mark_answered(*, session: AsyncSession, message_ids: Sequence[int]) -> None:
    """Clear the unanswered flag (an admin turned the question into FAQ)."""
    await session.execute(
        update(Message).where(Message.id.in_(list(message_ids))).values(unanswered=False)
    )


async def count_purgeable(
    *, session: AsyncSession, older_than: timedelta, now: datetime | None = None
) -> int:
    """How many message texts a purge with this age would remove."""
    cutoff = (now or utcnow()) - older_than
    return (
        await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.created_at < cutoff, Message.text.is_not(None))
        )
        or 0
    )


async def purge_texts(
    *,
    session: AsyncSession,
    older_than: timedelta,
    batch_size: int = 500,
    now: datetime | None = None,
) -> int:
    """Blank the texts of up to ``batch_size`` messages older than the cutoff.

    The rows stay (role, mode, latency, timestamps) so statistics keep their counts; only the
    words customers wrote, and the replies to them, are removed. Returns how many were purged;
    callers repeat, committing between batches, until it returns 0.
    """
    now = now or utcnow()
    cutoff = now - older_than
    ids = list(
        await session.scalars(
            select(Message.id)
            .where(Message.created_at < cutoff, Message.text.is_not(None))
            .order_by(Message.id)
            .limit(batch_size)
        )
    )
    if not ids:
        return 0
    await session.execute(
        update(Message)
        .where(Message.id.in_(ids))
        .values(text=None, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    return len(ids)


async def session_of(*, session: AsyncSession, message_id: int) -> ChatSession | None:
    """The chat session a message belongs to."""
    return await session.scalar(select(ChatSession).join(Message).where(Message.id == message_id))
