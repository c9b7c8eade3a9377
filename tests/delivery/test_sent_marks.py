"""Sent-marks: written together on their own connection, given back when the bot is quiet."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery import DeliveryService, Received
from storage.models import utcnow


def received(update_id: int, chat_id: int) -> Received:
    payload = {"update_id": update_id, "message": {"message_id": update_id}}
    return Received(update_id, f"m:{chat_id}:{update_id}", chat_id, payload, utcnow())


async def test_marks_sent_at_once_are_written_together_and_all_kept(
    session_factory: async_sessionmaker[AsyncSession], db_engine: AsyncEngine
) -> None:
    delivery = DeliveryService(session_factory, channel="telegram", holder="a")
    await delivery.store([received(n, chat_id=n) for n in range(1, 21)])
    entries = await delivery.claim(20, lease=timedelta(minutes=1))
    rows = [await delivery.record(e, 1, e.chat_id, "send", {"html": "hi"}) for e in entries]

    await asyncio.gather(*(delivery.sent(row, 1000 + row.id) for row in rows))

    assert 1 <= delivery.marks.batches <= 2  # 20 marks, not 20 transactions
    for entry, row in zip(entries, rows, strict=True):
        [kept] = await delivery.outbox_of(entry)
        assert (kept.state, kept.channel_message_id) == ("sent", 1000 + row.id)
    await delivery.close()
    assert db_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_the_marks_connection_goes_back_to_the_pool_when_quiet(
    session_factory: async_sessionmaker[AsyncSession], db_engine: AsyncEngine
) -> None:
    delivery = DeliveryService(session_factory, channel="telegram", holder="a")
    delivery.marks.linger = 0.05
    await delivery.store([received(1, chat_id=7)])
    [entry] = await delivery.claim(1, lease=timedelta(minutes=1))
    row = await delivery.record(entry, 1, 7, "send", {"html": "hi"})
    await delivery.sent(row, 99)
    assert db_engine.pool.checkedout() == 1  # type: ignore[attr-defined]  # kept for the next

    await asyncio.wait_for(delivery.marks.idle(), 10)
    assert db_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    second = await delivery.record(entry, 2, 7, "send", {"html": "again"})
    await delivery.sent(second, 100)  # a new writer after the quiet spell
    assert [r.state for r in await delivery.outbox_of(entry)] == ["sent", "sent"]
    await delivery.close()
