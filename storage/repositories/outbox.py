"""The outbox: each reply of an inbox item, stored before it is sent, marked sent after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxItem, InboxState, OutboxItem, OutboxState


async def for_item(*, session: AsyncSession, inbox_id: int) -> list[OutboxItem]:
    """Everything the item's handling has sent or means to send, in order."""
    rows = await session.scalars(
        select(OutboxItem).where(OutboxItem.inbox_id == inbox_id).order_by(OutboxItem.seq)
    )
    return list(rows)


async def add(
    *,
    session: AsyncSession,
    inbox_id: int,
    seq: int,
    chat_id: int,
    kind: str,
    body: dict[str, Any],
    now: datetime,
) -> OutboxItem:
    """Record one reply to send (pending)."""
    row = OutboxItem(
        inbox_id=inbox_id,
        seq=seq,
        chat_id=chat_id,
        kind=kind,
        body=body,
        state=OutboxState.PENDING.value,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def get(*, session: AsyncSession, outbox_id: int) -> OutboxItem | None:
    return await session.get(OutboxItem, outbox_id)


async def replace(
    *, session: AsyncSession, outbox_id: int, kind: str, body: dict[str, Any]
) -> None:
    """What a pending row sends changes (a replay sends instead of editing a lost preview)."""
    row = await session.get(OutboxItem, outbox_id)
    if row is not None and row.state == OutboxState.PENDING.value:
        row.kind, row.body = kind, body


async def mark_sent(
    *, session: AsyncSession, outbox_id: int, channel_message_id: int | None, now: datetime
) -> None:
    """The channel accepted this reply: never send it again."""
    await mark_sent_many(session=session, sent={outbox_id: channel_message_id}, now=now)


async def mark_sent_many(
    *, session: AsyncSession, sent: dict[int, int | None], now: datetime
) -> None:
    """Several replies the channel accepted, in one ``UPDATE`` (outbox id -> its message id):
    the time between Telegram accepting a reply and this commit is the one window in which a
    crash repeats it, so a batch of marks costs one round trip, however many it holds."""
    message_ids = case(sent, value=OutboxItem.id) if len(sent) > 1 else next(iter(sent.values()))
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(list(sent)))
        .values(
            state=OutboxState.SENT.value,
            channel_message_id=message_ids,
            sent_at=now,
            attempts=OutboxItem.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )


async def mark_attempt(
    *, session: AsyncSession, outbox_id: int, error: str, failed: bool = False
) -> None:
    """A try that did not get through; ``failed``: the channel refuses it for good."""
    row = await session.get(OutboxItem, outbox_id)
    if row is not None:
        row.attempts += 1
        row.last_error = error[:500]
        if failed:
            row.state = OutboxState.FAILED.value


async def count_pending(*, session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count(OutboxItem.id)).where(OutboxItem.state == OutboxState.PENDING.value)
        )
        or 0
    )


async def for_chat_after(
    *, session: AsyncSession, channel: str, chat_id: int, after_id: int, limit: int
) -> list[OutboxItem]:
    """A chat's replies on ``channel`` with an id above ``after_id``, oldest first (a stream
    resumed where its reader stopped: one chat's rows are written in id order)."""
    rows = await session.scalars(
        select(OutboxItem)
        .join(InboxItem, InboxItem.id == OutboxItem.inbox_id)
        .where(
            InboxItem.channel == channel,
            OutboxItem.chat_id == chat_id,
            OutboxItem.id > after_id,
            OutboxItem.state != OutboxState.FAILED.value,
        )
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    return list(rows)


async def confirm_chat(
    *, session: AsyncSession, channel: str, chat_id: int, upto_id: int, now: datetime
) -> int:
    """The reader has every pending reply of the chat up to ``upto_id``: mark them sent."""
    of_channel = select(InboxItem.id).where(InboxItem.channel == channel)
    result = await session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.inbox_id.in_(of_channel),
            OutboxItem.chat_id == chat_id,
            OutboxItem.id <= upto_id,
            OutboxItem.state == OutboxState.PENDING.value,
        )
        .values(state=OutboxState.SENT.value, sent_at=now, attempts=OutboxItem.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_chat(*, session: AsyncSession, channel: str, chat_id: int, before_id: int) -> int:
    """Delete a chat's replies on ``channel`` below ``before_id`` and its finished updates
    (their texts): the customer asked to be forgotten. Items still open are left to finish;
    the newest row stays, so SQLite never hands a later row an id the reader has seen."""
    of_chat = (InboxItem.channel == channel, InboxItem.chat_id == chat_id)
    result = await session.execute(
        delete(OutboxItem)
        .where(
            OutboxItem.inbox_id.in_(select(InboxItem.id).where(*of_chat)),
            OutboxItem.id < before_id,
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(InboxItem)
        .where(
            *of_chat,
            InboxItem.state == InboxState.DONE.value,
            InboxItem.id.not_in(select(OutboxItem.inbox_id).where(OutboxItem.id >= before_id)),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def chats_after(
    *, session: AsyncSession, channel: str, after_id: int
) -> list[tuple[int, int]]:
    """(chat id, its newest row id) of the chats on ``channel`` with rows above ``after_id``."""
    rows = await session.execute(
        select(OutboxItem.chat_id, func.max(OutboxItem.id))
        .join(InboxItem, InboxItem.id == OutboxItem.inbox_id)
        .where(InboxItem.channel == channel, OutboxItem.id > after_id)
        .group_by(OutboxItem.chat_id)
    )
    return [(int(chat_id), int(newest)) for chat_id, newest in rows]


async def newest_id(*, session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(OutboxItem.id))) or 0)
