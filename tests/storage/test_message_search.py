"""The console's text search over messages through the full-text index of migration 0009
(SQLite FTS5 here; PostgreSQL's tsvector in the PostgreSQL pass): words from their start,
every word required, kept in step with inserts, purges and /forget, and a scan for Chinese."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import migrations
from storage.db import make_engine, make_session_factory
from storage.models import utcnow
from storage.repositories import message_search, messages, sessions, users

Factory = async_sessionmaker[AsyncSession]


async def _customer(factory: Factory, external_id: int, *texts: str) -> int:
    async with factory() as s, s.begin():
        user = await users.get_or_create(
            session=s, channel="telegram", external_id=external_id, name=None, language="en"
        )
        chat, _ = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=external_id, ttl=timedelta(minutes=30)
        )
        for text in texts:
            await messages.add(session=s, session_id=chat.id, role="user", text=text)
        return user.id


async def _found(factory: Factory, query: str, limit: int = 100) -> set[int]:
    async with factory() as s:
        return set(await message_search.users_who_wrote(session=s, query=query, limit=limit))


async def test_words_from_their_start_every_word_required(session_factory: Factory) -> None:
    ann = await _customer(session_factory, 1, "Where are my REFUNDS? Order #4411")
    bob = await _customer(session_factory, 2, "refund please", "my parcel is late")
    assert message_search.uses_index("refund")
    assert await _found(session_factory, "refund") == {bob, ann}
    assert await _found(session_factory, "Refund order") == {ann}
    assert await _found(session_factory, "order 4411") == {ann}
    assert await _found(session_factory, "refund late") == set()  # words of two messages
    assert await _found(session_factory, "fund") == set()  # a word's end is not its start
    assert await _found(session_factory, "parcel-late!") == {bob}
    assert await _found(session_factory, 'refund" OR "x') == set()  # quotes are not syntax
    assert await _found(session_factory, "refund", limit=1) == {bob}  # the newest match


async def test_chinese_is_found_anywhere_in_the_text(session_factory: Factory) -> None:
    ann = await _customer(session_factory, 1, "我的退款什么时候到账？")
    await _customer(session_factory, 2, "我想改地址")
    assert not message_search.uses_index("退款")
    assert await _found(session_factory, "退款") == {ann}
    assert await _found(session_factory, "什么时候 到账") == {ann}


async def test_purged_and_forgotten_texts_are_not_found(session_factory: Factory) -> None:
    ann = await _customer(session_factory, 1, "cancel my subscription")
    bob = await _customer(session_factory, 2, "cancel the order")
    async with session_factory() as s, s.begin():
        purged = await messages.purge_texts(
            session=s, older_than=timedelta(0), now=utcnow() + timedelta(seconds=1), batch_size=1
        )
    assert purged == 1
    assert await _found(session_factory, "cancel") == {bob}
    async with session_factory() as s, s.begin():
        await users.forget(session=s, user_id=bob)
    assert await _found(session_factory, "cancel") == set()
    assert ann not in await _found(session_factory, "subscription")
    carl = await _customer(session_factory, 3, "cancel again")
    assert await _found(session_factory, "cancel") == {carl}


async def test_messages_stored_before_the_index_are_found(database_url: str) -> None:
    engine: AsyncEngine = make_engine(database_url)
    try:
        await migrations.upgrade(engine, "0008")
        factory = make_session_factory(engine)
        ann = await _customer(factory, 1, "my voucher code is rejected")
        await migrations.upgrade(engine)
        assert await _found(factory, "voucher rejected") == {ann}
        await migrations.downgrade(engine, "0008")  # the triggers go with the index
        assert await _customer(factory, 2, "stored without the index") != ann
    finally:
        await engine.dispose()
