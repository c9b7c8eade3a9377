"""Sent-marks: written together on their own connection, given back when the bot is quiet."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery import DeliveryService, InboxEntry, OutboxEntry, Received
from bot.delivery.marks import SentMarks
from storage.models import utcnow


def received(update_id: int, chat_id: int) -> Received:
    payload = {"update_id": update_id, "message": {"message_id": update_id}}
    return Received(update_id, f"m:{chat_id}:{update_id}", chat_id, payload, utcnow())


async def replies_to_mark(
    delivery: DeliveryService, count: int
) -> list[tuple[InboxEntry, OutboxEntry]]:
    """``count`` claimed inbox items, one recorded (pending) reply each."""
    await delivery.store([received(n, chat_id=n) for n in range(1, count + 1)])
    entries = await delivery.claim(count, lease=timedelta(minutes=1))
    return [(e, await delivery.record(e, 1, e.chat_id, "send", {"html": "hi"})) for e in entries]


async def test_marks_sent_at_once_are_written_together_and_all_kept(
    session_factory: async_sessionmaker[AsyncSession], db_engine: AsyncEngine
) -> None:
    delivery = DeliveryService(session_factory, channel="telegram", holder="a")
    marks = SentMarks(db_engine, utcnow)
    pairs = await replies_to_mark(delivery, 20)

    await asyncio.gather(*(marks.mark(row.id, 1000 + row.id) for _, row in pairs))

    assert 1 <= marks.batches <= 2  # 20 marks, not 20 transactions
    for entry, row in pairs:
        [kept] = await delivery.outbox_of(entry)
        assert (kept.state, kept.channel_message_id) == ("sent", 1000 + row.id)
    await marks.close()
    assert db_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_the_marks_connection_goes_back_to_the_pool_when_quiet(
    session_factory: async_sessionmaker[AsyncSession], db_engine: AsyncEngine
) -> None:
    delivery = DeliveryService(session_factory, channel="telegram", holder="a")
    marks = SentMarks(db_engine, utcnow, linger=0.05)
    [(entry, row)] = await replies_to_mark(delivery, 1)
    await marks.mark(row.id, 99)
    assert db_engine.pool.checkedout() == 1  # type: ignore[attr-defined]  # kept for the next

    await asyncio.wait_for(marks.idle(), 10)
    assert db_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    second = await delivery.record(entry, 2, entry.chat_id, "send", {"html": "again"})
    await marks.mark(second.id, 100)  # a new writer after the quiet spell
    assert [r.state for r in await delivery.outbox_of(entry)] == ["sent", "sent"]
    await marks.close()
