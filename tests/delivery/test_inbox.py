"""The inbox and outbox on a real migrated database: idempotent store, per-chat order, leases."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryService, Received
from storage.models import utcnow

LEASE = timedelta(seconds=60)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def received(update_id: int, chat_id: int, message_id: int) -> Received:
    payload = {"update_id": update_id, "message": {"message_id": message_id}}
    return Received(update_id, f"m:{chat_id}:{message_id}", chat_id, payload, utcnow())


def service(
    session_factory: async_sessionmaker[AsyncSession], holder: str = "a", clock: Clock | None = None
) -> DeliveryService:
    return DeliveryService(
        session_factory, channel="telegram", holder=holder, clock=clock or Clock()
    )


async def test_a_redelivered_update_is_stored_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    inbox = service(session_factory)
    assert len(await inbox.store([received(1, 7, 1), received(2, 7, 2)])) == 2
    # Telegram sends the same update again, and the same message under a new update id.
    assert await inbox.store([received(1, 7, 1)]) == []
    assert await inbox.store([received(9, 7, 2), received(3, 8, 1)]) != []
    assert await inbox.open_count() == 3


async def test_one_chat_is_claimed_in_stored_order_other_chats_in_parallel(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    inbox = service(session_factory)
    await inbox.store([received(1, 7, 1), received(2, 7, 2), received(3, 8, 1)])
    first = await inbox.claim(10, lease=LEASE)
    assert [(e.chat_id, e.update_id) for e in first] == [(7, 1), (8, 1 + 2)]
    assert await inbox.claim(10, lease=LEASE) == [], "chat 7's second message waits"
    assert await inbox.finish(first[0])
    second = await inbox.claim(10, lease=LEASE)
    assert [e.update_id for e in second] == [2]


async def test_another_instance_takes_over_only_when_the_lease_runs_out(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    a, b = service(session_factory, "a", clock), service(session_factory, "b", clock)
    await a.store([received(1, 7, 1)])
    [claimed] = await a.claim(5, lease=LEASE)
    assert await b.claim(5, lease=LEASE) == []
    clock.now += LEASE + timedelta(seconds=1)
    [taken] = await b.claim(5, lease=LEASE)
    assert taken.id == claimed.id and taken.attempts == 2
    assert not await a.finish(claimed), "a lost its lease: its late finish changes nothing"
    assert await b.finish(taken)
    assert await a.open_count() == 0


async def test_a_restarted_instance_takes_back_its_own_claims_at_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await service(session_factory, "host-1").store([received(1, 7, 1)])
    assert await service(session_factory, "host-1").claim(5, lease=LEASE)
    restarted = service(session_factory, "host-1")
    assert await restarted.release_own() == 1
    assert [e.update_id for e in await restarted.claim(5, lease=LEASE)] == [1]


async def test_a_released_item_waits_for_its_back_off(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    inbox = service(session_factory, clock=clock)
    await inbox.store([received(1, 7, 1)])
    [entry] = await inbox.claim(5, lease=LEASE)
    await inbox.save_answer(entry, {"replies": [{"text": "hi"}]})
    assert await inbox.release(entry, handled=True, delay=30)
    assert await inbox.claim(5, lease=LEASE) == []
    clock.now += timedelta(seconds=31)
    [again] = await inbox.claim(5, lease=LEASE)
    assert again.handled and again.answer == {"replies": [{"text": "hi"}]}


async def test_outbox_rows_are_kept_in_order_and_marked_sent(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    inbox = service(session_factory)
    await inbox.store([received(1, 7, 1)])
    [entry] = await inbox.claim(5, lease=LEASE)
    first = await inbox.record(entry, 1, 7, "send", {"html": "one"})
    second = await inbox.record(entry, 2, 7, "send", {"html": "two"})
    await inbox.sent(first, 501)
    await inbox.not_sent(second, "Bad Gateway", permanent=False)
    rows = await inbox.outbox_of(entry)
    assert [(r.seq, r.state, r.channel_message_id) for r in rows] == [
        (1, "sent", 501),
        (2, "pending", None),
    ]


async def test_done_items_are_purged_after_the_redelivery_horizon(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    inbox = service(session_factory, clock=clock)
    await inbox.store([received(1, 7, 1)])
    [entry] = await inbox.claim(5, lease=LEASE)
    await inbox.finish(entry)
    assert await inbox.purge(timedelta(hours=48)) == 0
    clock.now += timedelta(hours=49)
    assert await inbox.purge(timedelta(hours=48)) == 1


async def test_an_update_id_reused_after_the_horizon_is_a_new_update(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """After a week without updates Telegram numbers the next one at random: an id the inbox
    finished long ago must not swallow a new customer's message (only a restart purged it)."""
    clock = Clock()
    inbox = service(session_factory, clock=clock)
    await inbox.store([received(41, 7, 1)])
    [entry] = await inbox.claim(5, lease=LEASE)
    await inbox.finish(entry)
    clock.now += timedelta(hours=47)
    assert await inbox.store([received(41, 7, 1)]) == []  # still a redelivery
    clock.now += timedelta(hours=2)
    [new_id] = await inbox.store([received(41, 9, 3)])
    [claimed] = await inbox.claim(5, lease=LEASE)
    assert (claimed.id, claimed.chat_id, claimed.payload["message"]["message_id"]) == (new_id, 9, 3)
