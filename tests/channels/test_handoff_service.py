"""HandoffService over real SQLite, without any channel: the bookkeeping of a hand-off."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation.handoff import HandoffService
from storage.models import utcnow
from storage.repositories import messages, sessions, users


def service(session_factory: async_sessionmaker[AsyncSession]) -> HandoffService:
    return HandoffService(session_factory, channel="telegram", session_ttl=timedelta(minutes=30))


async def _chat_with_history(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory.begin() as db:
        user = await users.get_or_create(session=db, channel="telegram", external_id=7, name="Ann")
        chat, _ = await sessions.open_or_continue(
            session=db, user_id=user.id, chat_id=7, ttl=timedelta(minutes=30), language="en"
        )
        await messages.add(session=db, session_id=chat.id, role="user", text="hi")
        await messages.add(session=db, session_id=chat.id, role="assistant", text="Hello!")
        await messages.add(
            session=db, session_id=chat.id, role="user", text="zebra?", unanswered=True
        )
        return chat.id


async def test_start_relay_reply_finish(session_factory: async_sessionmaker[AsyncSession]) -> None:
    session_id = await _chat_with_history(session_factory)
    handoff = service(session_factory)
    ticket = await handoff.start(user_external_id=7, chat_id=7, user_name="Ann", language="en")
    assert ticket.customer.session_id == session_id and not ticket.already_open
    assert ticket.last_messages == [("user", "hi"), ("assistant", "Hello!"), ("user", "zebra?")]
    assert ticket.unanswered == ["zebra?"]
    assert (await handoff.start(user_external_id=7, chat_id=7)).already_open

    await handoff.attach_ticket(session_id, 100)
    assert (await handoff.customer_for(100)).session_id == session_id
    stored = await handoff.record_customer_message(
        ticket.customer, "[photo]", relayed_message_id=101
    )
    assert stored and (await handoff.customer_for(101)).chat_id == 7
    assert await handoff.customer_for(555) is None

    customer = await handoff.with_human(user_external_id=7, chat_id=7)
    assert customer is not None and customer.ticket_message_id == 100
    assert await handoff.record_agent_reply(customer, "On its way", agent_message_id=102)
    assert not await handoff.record_agent_reply(customer, "Anything else?", agent_message_id=103)
    assert (await handoff.customer_for(103)).session_id == session_id

    finished = await handoff.finish(session_id)
    assert finished is not None and finished.ticket_message_id == 100
    assert await handoff.finish(session_id) is None
    assert await handoff.with_human(user_external_id=7, chat_id=7) is None
    assert await handoff.customer_for(100) is None


async def test_overdue_only_without_agent_reply_and_only_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _chat_with_history(session_factory)
    handoff = service(session_factory)
    ticket = await handoff.start(user_external_id=7, chat_id=7)
    later = utcnow() + timedelta(minutes=20)
    assert await handoff.overdue(after=timedelta(minutes=15)) == []
    [waiting] = await handoff.overdue(after=timedelta(minutes=15), now=later)
    assert waiting.session_id == ticket.customer.session_id
    await handoff.record_waiting_notice(waiting, "soon")
    assert await handoff.overdue(after=timedelta(minutes=15), now=later) == []
    await handoff.finish(waiting.session_id)
    await handoff.start(user_external_id=7, chat_id=7)  # a new hand-off: may be told again
    assert (
        len(await handoff.overdue(after=timedelta(minutes=15), now=later + timedelta(hours=1))) == 1
    )
    await handoff.record_agent_reply(waiting, "hello")
    assert await handoff.overdue(after=timedelta(minutes=15), now=later + timedelta(hours=1)) == []


async def test_start_does_not_mistake_the_hint_for_the_customers_language_choice(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ticket = await service(session_factory).start(user_external_id=9, chat_id=9, language="zh")
    assert ticket.customer.language == "zh"
    async with session_factory() as db:
        user = await users.get(session=db, channel="telegram", external_id=9)
        assert user is not None and user.language is None
