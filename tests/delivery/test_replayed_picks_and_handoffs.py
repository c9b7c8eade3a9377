"""A replayed update stores a "did you mean" pick and the hand-off's messages once (issue 20).

Questions and replies are kept once per origin key (test_replayed_turns.py); the pick's reply
(``ChoiceBook.choose``) and what ``HandoffService`` stores (a relayed customer message, an agent's
reply, the waiting notice) go through ``stored_once`` under the key of the update being handled,
so handling the same update twice leaves one row, and the replay gets the first run's answer.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.conversation import Incoming, Reply, origins
from bot.conversation.handoff import Customer, HandoffService
from bot.conversation.service import ConversationService
from storage.models import AnswerChoice, Message
from storage.repositories import faq
from tests.conversation.conftest import RETURNS, SHIPPING
from tests.delivery.test_replayed_turns import service_finding, stored

PICK_KEY = "web:7:2002:0"


def unsure(settings: Settings, factory: async_sessionmaker[AsyncSession]) -> ConversationService:
    return service_finding(settings, factory, (SHIPPING, 0.55), (RETURNS, 0.5))


async def offered_shipping(
    settings: Settings, factory: async_sessionmaker[AsyncSession], origin: str | None = None
) -> tuple[ConversationService, int, Reply]:
    """A web customer's unsure question, answered with choices; the shipping entry's id."""
    service = unsure(settings, factory)
    async with factory() as s, s.begin():
        entry = await faq.create(session=s, question=SHIPPING.question, answer=SHIPPING.answer)
    question = await service.handle(Incoming(7, 7, "parcel time?", channel="web"), origin=origin)
    return service, entry.id, question


rows = stored


async def test_a_pick_handled_twice_is_stored_once_and_answered_the_same(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    service, entry_id, question = await offered_shipping(settings, session_factory, "web:7:2001:0")
    with origins.handling(PICK_KEY):
        first = await service.choices.choose("web", 7, question.user_message_id, entry_id)
        again = await service.choices.choose("web", 7, question.user_message_id, entry_id)
    assert first is not None and again is not None and SHIPPING.answer in first.text
    assert (again.message_id, again.text, again.more) == (first.message_id, first.text, first.more)
    async with session_factory() as s:
        picks = await s.scalar(select(func.count()).select_from(AnswerChoice))
    assert picks == 1, "the pick is recorded once for the admins' phrasing suggestions"
    assert (await rows(session_factory))[-1:] == [("assistant", PICK_KEY)]
    assert len(await rows(session_factory)) == 3  # question, its reply, the pick's reply
    later = await service.choices.choose("web", 7, question.user_message_id, entry_id)
    assert later is not None and later.message_id != first.message_id, "no key: a new pick"


async def test_two_runs_of_one_pick_at_once_store_one_reply(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    service, entry_id, question = await offered_shipping(settings, session_factory)
    one, two = await asyncio.gather(
        *(
            service.choices.choose("web", 7, question.user_message_id, entry_id, origin=PICK_KEY)
            for _ in range(2)
        )
    )
    assert one is not None and two is not None and one.message_id == two.message_id
    assert [r for r in await rows(session_factory) if r[1] == PICK_KEY] == [("assistant", PICK_KEY)]


async def handed_off(settings: Settings, factory: async_sessionmaker[AsyncSession]) -> Customer:
    handoff = HandoffService(factory, channel="telegram", session_ttl=settings.session_ttl)
    ticket = await handoff.start(user_external_id=7, chat_id=7, user_name="Ann")
    return ticket.customer


async def test_hand_off_messages_handled_twice_are_stored_once(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    handoff = HandoffService(session_factory, channel="telegram", session_ttl=settings.session_ttl)
    customer = await handed_off(settings, session_factory)
    with origins.handling("telegram:7:3001:update"):  # a photo relayed to the agents
        ids = [await handoff.record_customer_message(customer, "[photo] broken") for _ in "ab"]
    with origins.handling("telegram:-100:3002:update"):  # the agent's answer to it
        firsts = [await handoff.record_agent_reply(customer, "We'll replace it.") for _ in "ab"]
    with origins.handling("telegram:-100:3003:update"):  # a second answer
        seconds = [await handoff.record_agent_reply(customer, "Sent today.") for _ in "ab"]
    for _ in "ab":
        await handoff.record_waiting_notice(customer, "Soon!", origin="waiting:1")
    assert ids[0] == ids[1]
    assert firsts == [True, True], "a replay sends the 'agent joined' notice as the first run did"
    assert seconds == [False, False]
    assert await rows(session_factory) == [
        ("user", "telegram:7:3001:update"),
        ("agent", "telegram:-100:3002:update"),
        ("agent", "telegram:-100:3003:update"),
        ("assistant", "waiting:1"),
    ]


async def test_a_hand_off_key_holding_another_message_is_not_replayed(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    handoff = HandoffService(session_factory, channel="telegram", session_ttl=settings.session_ttl)
    customer = await handed_off(settings, session_factory)
    key = "telegram:-100:4001:update"
    await handoff.record_agent_reply(customer, "Hello", origin=key)
    await handoff.record_agent_reply(customer, "Another text", origin=key)  # a recycled key
    async with session_factory() as s:
        texts = list(await s.scalars(select(Message.text).order_by(Message.id)))
    assert texts == ["Hello", "Another text"], "a different message is stored, not swallowed"
