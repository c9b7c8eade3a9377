"""A replayed update stores the customer's message once and the reply once.

The durable inbox hands an update over again when the instance handling it died mid-answer;
the conversation may already have stored the question, or the question and the reply. Under
the update's ``origin`` key a replay gets those rows back instead of adding new ones (the
channel side of it is in tests/channels/telegram/test_delivery.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.conversation import AnswerMode, Incoming, origins
from bot.conversation.recovery import record_late
from bot.conversation.service import ConversationService
from bot.conversation.texts import Texts
from bot.conversation.turns import open_turn
from bot.engine.fake import FakeEngine
from storage.models import Message
from tests.conversation.conftest import SHIPPING, FixedCatalog, make_service

QUESTION = Incoming(user_id=7, chat_id=7, text=SHIPPING.question, channel="telegram")
KEY = "telegram:7:1001:0"


def service_finding(
    settings: Settings, factory: async_sessionmaker[AsyncSession], *hits: tuple[Any, float]
) -> ConversationService:
    """The conversation service over a catalog that finds ``hits`` (entry, confidence)."""
    catalog = FixedCatalog()
    catalog.answer_with(*hits)
    texts = Texts.from_folder(settings.prompts_dir / "locales", business_name="Acme Shop")
    return make_service(settings, factory, catalog, FakeEngine(), texts)


def answering(settings: Settings, factory: async_sessionmaker[AsyncSession]) -> ConversationService:
    return service_finding(settings, factory, (SHIPPING, 0.95))


async def stored(factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, str | None]]:
    async with factory() as s:
        rows = await s.execute(select(Message.role, Message.origin).order_by(Message.id))
    return [(role, origin) for role, origin in rows]


async def test_handling_an_update_again_reuses_its_question_and_reply(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    service = answering(settings, session_factory)
    first = await service.handle(QUESTION, origin=KEY)
    shown: list[str] = []
    again = await service.handle(QUESTION, shown.append, origin=KEY)
    assert first.mode is AnswerMode.FAQ and SHIPPING.answer in first.text
    assert (again.text, again.mode, again.faq_ids) == (first.text, first.mode, first.faq_ids)
    assert (again.user_message_id, again.message_id) == (first.user_message_id, first.message_id)
    assert "".join(shown) == first.text, "the channel is handed the same words to send"
    assert await stored(session_factory) == [("user", KEY), ("assistant", KEY)]


async def test_a_question_stored_by_a_run_that_died_is_answered_not_stored_again(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    service = answering(settings, session_factory)
    turn = await open_turn(  # the killed run got this far
        session_factory,
        QUESTION,
        ttl=settings.session_ttl,
        language_for=lambda chosen: chosen or "en",
        now=service.clock(),
        origin=KEY,
    )
    reply = await service.handle(QUESTION, origin=KEY)
    assert reply.user_message_id == turn.user_message_id
    assert SHIPPING.answer in reply.text and reply.message_id is not None
    assert await stored(session_factory) == [("user", KEY), ("assistant", KEY)]


async def test_two_runs_of_one_update_at_once_store_one_question_and_one_reply(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    service = answering(settings, session_factory)
    one, two = await asyncio.gather(
        service.handle(QUESTION, origin=KEY), service.handle(QUESTION, origin=KEY)
    )
    assert one.user_message_id == two.user_message_id and one.message_id == two.message_id
    assert one.text == two.text and SHIPPING.answer in one.text
    assert sorted(await stored(session_factory)) == [("assistant", KEY), ("user", KEY)]


async def test_the_key_set_around_a_wrapped_service_and_the_late_apology(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    service = answering(settings, session_factory)
    with origins.handling(KEY):
        await service.handle(QUESTION)
        await service.handle(QUESTION)
    late = Incoming(user_id=7, chat_id=7, text="Still there?", channel="telegram")
    apologies = [
        await record_late(service, late, lambda lang: "Sorry, we are late.", origin="late:1")
        for _ in range(2)
    ]
    assert apologies[0].message_id == apologies[1].message_id is not None
    await service.handle(QUESTION)  # no key: a new message, stored as before
    assert await stored(session_factory) == [
        ("user", KEY),
        ("assistant", KEY),
        ("user", "late:1"),
        ("assistant", "late:1"),
        ("user", None),
        ("assistant", None),
    ]


async def test_a_key_that_names_another_message_never_hands_out_its_reply(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    # Issue 22: a reply row only ever holds the reply computed for its own question. A key
    # reused for a different message (another update under a recycled id) is not a replay.
    service = answering(settings, session_factory)
    first = await service.handle(QUESTION, origin=KEY)
    other = Incoming(user_id=7, chat_id=7, text="Do you sell gift cards?", channel="telegram")
    second = await service.handle(other, origin=KEY)
    assert second.user_message_id != first.user_message_id
    assert second.message_id != first.message_id
    async with session_factory() as s:
        texts = [t for (t,) in await s.execute(select(Message.text).order_by(Message.id))]
    assert texts[2] == other.text and texts[3] == second.text
