"""ConversationService end to end on a real SQLite file, with a FakeEngine and fixed hits."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.conversation import AnswerMode, Incoming, SessionState
from bot.conversation.service import ConversationService
from bot.conversation.texts import Texts
from bot.engine.base import EngineBusy, EngineError
from bot.engine.fake import FakeEngine
from bot.observability import events
from storage.models import ChatSession, Feedback, Message
from storage.repositories import faq, sessions
from tests.conversation.conftest import HOURS, RETURNS, SHIPPING, FixedCatalog, make_service


async def stored_messages(factory: async_sessionmaker[AsyncSession]) -> list[Message]:
    async with factory() as s:
        return list(await s.scalars(select(Message).order_by(Message.id)))


def ask(text: str, user: int = 7, **kwargs: object) -> Incoming:
    return Incoming(user_id=user, chat_id=user, text=text, **kwargs)  # type: ignore[arg-type]


async def test_confident_match_sends_the_curated_answer_verbatim(
    service: ConversationService, catalog: FixedCatalog, fake_engine: FakeEngine, session_factory
) -> None:
    catalog.answer_with((SHIPPING, 0.95), (RETURNS, 0.4), (HOURS, 0.1))
    shown: list[str] = []

    reply = await service.handle(ask("how long does shipping take?"), on_text=shown.append)

    assert reply.mode is AnswerMode.FAQ
    assert reply.text == SHIPPING.answer
    assert shown == [SHIPPING.answer]
    assert reply.faq_ids == [1]
    assert reply.related_questions == [RETURNS.question]
    assert fake_engine.requests == []
    user_row, bot_row = await stored_messages(session_factory)
    assert (user_row.role, user_row.unanswered) == ("user", False)
    assert (bot_row.mode, bot_row.faq_ids, bot_row.text) == ("faq", [1], SHIPPING.answer)
    assert bot_row.confidence == 0.95 and bot_row.latency_ms is not None
    assert reply.message_id == bot_row.id and reply.user_message_id == user_row.id


async def test_a_lone_surrogate_is_stored_as_a_replacement_character_and_answered(
    service: ConversationService, catalog: FixedCatalog, session_factory
) -> None:
    catalog.answer_with((SHIPPING, 0.95))
    reply = await service.handle(ask("shipping\udc00?"))
    assert reply.mode is AnswerMode.FAQ  # not the "something went wrong" apology
    user_row, _ = await stored_messages(session_factory)
    assert user_row.text == "shipping\ufffd?"
    assert ask("\ud83d\ude00").text == "\U0001f600"  # a surrogate pair is one character


async def test_each_retrieval_is_timed_for_metrics(
    service: ConversationService, catalog: FixedCatalog
) -> None:
    def timed() -> float:
        return events.REGISTRY.get_sample_value("supportbot_retrieval_seconds_count") or 0.0

    catalog.answer_with((SHIPPING, 0.95))
    before = timed()
    await service.handle(ask("how long does shipping take?"))
    assert timed() >= before + 1


async def test_partial_match_sends_a_grounded_generation(
    service: ConversationService, catalog: FixedCatalog, fake_engine: FakeEngine, session_factory
) -> None:
    catalog.answer_with((HOURS, 0.5))
    fake_engine.enqueue("Our store opens at 9:30 on Monday to Saturday.")
    shown: list[str] = []

    reply = await service.handle(ask("what time do you open?"), on_text=shown.append)

    assert reply.mode is AnswerMode.GENERATED
    assert reply.text == "Our store opens at 9:30 on Monday to Saturday."
    assert "".join(shown) == reply.text
    messages = fake_engine.requests[0].messages
    # Cache-friendly layout: the entries in the system message, the customer's words last.
    assert HOURS.answer in messages[0].content
    assert "what time do you open?" in messages[-1].content
    _, bot_row = await stored_messages(session_factory)
    assert bot_row.mode == "generated" and bot_row.model == "fake"
    assert bot_row.prompt_tokens and bot_row.completion_tokens


async def test_contradicting_generation_falls_back_to_the_best_entry(
    service: ConversationService, catalog: FixedCatalog, fake_engine: FakeEngine, session_factory
) -> None:
    catalog.answer_with((HOURS, 0.5))
    fake_engine.enqueue("The answer is 18:00. We open at noon.")
    shown: list[str] = []

    reply = await service.handle(ask("when do you open?"), on_text=shown.append)

    assert reply.mode is AnswerMode.FALLBACK
    assert HOURS.answer in reply.text and "18:00. We" not in reply.text
    assert "".join(shown) == reply.text  # the rejected text was never shown
    assert reply.offer_human
    user_row, bot_row = await stored_messages(session_factory)
    assert user_row.unanswered and bot_row.mode == "fallback" and bot_row.faq_ids == [3]


async def test_user_message_is_stored_before_a_generation_that_fails(
    session_factory, settings: Settings, catalog: FixedCatalog, texts: Texts
) -> None:
    seen_at_generation: list[list[str]] = []

    class CheckingEngine(FakeEngine):
        async def generate(self, request, on_text=None):  # type: ignore[no-untyped-def]
            async with session_factory() as s:  # a separate connection: only committed rows
                rows = await s.scalars(select(Message.text))
                seen_at_generation.append(list(rows))
            raise EngineError("model crashed")

    service = make_service(settings, session_factory, catalog, CheckingEngine(), texts)
    catalog.answer_with((RETURNS, 0.5))

    reply = await service.handle(ask("can I send back my jacket?"))

    assert seen_at_generation == [["can I send back my jacket?"]]
    assert reply.mode is AnswerMode.FALLBACK
    assert RETURNS.answer in reply.text
    user_row, bot_row = await stored_messages(session_factory)
    assert user_row.unanswered and bot_row.mode == "fallback"


async def test_busy_engine_and_deadline_give_the_best_entry(
    service: ConversationService, catalog: FixedCatalog, fake_engine: FakeEngine, settings
) -> None:
    catalog.answer_with((RETURNS, 0.5))
    fake_engine.enqueue(EngineBusy("queue full"))
    busy = await service.handle(ask("refund?"))
    assert busy.mode is AnswerMode.FALLBACK and RETURNS.answer in busy.text

    settings.generation_timeout_seconds = 0.001
    fake_engine.delay_per_piece = 0.01
    fake_engine.enqueue("You can return any unused item within 30 days.")
    late = await service.handle(ask("refund please?"))
    assert late.mode is AnswerMode.FALLBACK and RETURNS.answer in late.text


async def test_nothing_relevant_is_an_honest_i_dont_know_with_a_human_offer(
    service: ConversationService, catalog: FixedCatalog, fake_engine: FakeEngine, session_factory
) -> None:
    catalog.answer_with((SHIPPING, 0.05))
    reply = await service.handle(ask("what is the meaning of life?"))
    assert reply.mode is AnswerMode.HANDOFF and reply.offer_human
    assert "don't know" in reply.text
    assert fake_engine.requests == []
    user_row, _ = await stored_messages(session_factory)
    assert user_row.unanswered


async def test_asking_for_a_person_skips_retrieval(
    service: ConversationService, catalog: FixedCatalog
) -> None:
    reply = await service.handle(ask("I want to talk to a real person"))
    assert reply.mode is AnswerMode.HANDOFF and reply.offer_human
    assert catalog.queries == []


async def test_smalltalk_is_answered_without_retrieval_in_the_customers_language(
    service: ConversationService, catalog: FixedCatalog, texts: Texts
) -> None:
    hello = await service.handle(ask("hi!"))
    thanks = await service.handle(ask("谢谢！", user=8))
    assert (hello.mode, hello.text) == (AnswerMode.SMALLTALK, texts.get("greeting", "en"))
    assert (thanks.mode, thanks.language) == (AnswerMode.SMALLTALK, "zh")
    assert thanks.text == texts.get("thanks", "zh")
    assert catalog.queries == []


async def test_language_hint_choice_and_detection(
    service: ConversationService, catalog: FixedCatalog
) -> None:
    catalog.answer_with((SHIPPING, 0.05))
    hinted = await service.handle(ask("shipping to mars?", user=1, language_hint="zh-Hans"))
    detected = await service.handle(ask("运费多少？", user=2, language_hint="en"))
    plain = await service.handle(ask("shipping to mars?", user=3))
    assert await service.accounts.set_language("console", 4, "zh-TW") == "zh"
    assert await service.accounts.set_language("console", 4, "xx") is None
    chosen = await service.handle(ask("shipping to mars?", user=4, language_hint="en"))
    assert [r.language for r in (hinted, detected, plain, chosen)] == ["zh", "zh", "en", "zh"]
    assert "不知道" in hinted.text


async def test_session_with_a_human_gets_no_bot_reply(
    service: ConversationService, catalog: FixedCatalog, fake_engine: FakeEngine, session_factory
) -> None:
    first = await service.handle(ask("hello"))
    async with session_factory() as s, s.begin():
        chat = await sessions.get(session=s, session_id=first.session_id)
        await sessions.set_state(session=s, chat=chat, state=SessionState.HUMAN)
    catalog.answer_with((RETURNS, 0.5))

    reply = await service.handle(ask("is anyone there? my parcel is lost"))

    assert (reply.mode, reply.text) == (AnswerMode.HUMAN, "")
    assert fake_engine.requests == [] and catalog.queries == []
    rows = await stored_messages(session_factory)
    assert rows[-1].role == "user" and rows[-1].text == "is anyone there? my parcel is lost"


async def test_history_reaches_the_prompt_and_reset_starts_over(
    service: ConversationService, catalog: FixedCatalog, fake_engine: FakeEngine, session_factory
) -> None:
    catalog.answer_with((HOURS, 0.5))
    fake_engine.enqueue("Our store opens at 9:30.", "Our store closes at 18:00.")
    first = await service.handle(ask("when do you open?"))
    await service.handle(ask("and when do you close?"))
    history = [m.content for m in fake_engine.requests[1].messages[1:-1]]
    assert history == ["when do you open?", "Our store opens at 9:30."]

    assert await service.accounts.reset("console", 7, 7)
    after = await service.handle(ask("hello"))
    assert after.session_id != first.session_id
    async with session_factory() as s:
        ended = await s.get(ChatSession, first.session_id)
        assert ended is not None and ended.ended_at is not None


async def test_feedback_only_on_the_customers_own_bot_reply(
    service: ConversationService, catalog: FixedCatalog, session_factory
) -> None:
    catalog.answer_with((SHIPPING, 0.95))
    reply = await service.handle(ask("shipping?"))
    assert reply.message_id is not None
    assert await service.accounts.record_feedback(reply.message_id, "console", 7, 1)
    assert not await service.accounts.record_feedback(reply.message_id, "console", 99, -1)
    assert not await service.accounts.record_feedback(reply.user_message_id or 0, "console", 7, 1)
    async with session_factory() as s:
        ratings = list(await s.scalars(select(Feedback.rating)))
    assert ratings == [1]


async def test_concurrent_chats_are_each_answered_and_stored(
    service: ConversationService, catalog: FixedCatalog, session_factory
) -> None:
    catalog.answer_with((SHIPPING, 0.95))
    replies = await asyncio.gather(*(service.handle(ask("shipping?", user=u)) for u in range(10)))
    assert {r.mode for r in replies} == {AnswerMode.FAQ}
    rows = await stored_messages(session_factory)
    assert len(rows) == 20 and len({r.session_id for r in replies}) == 10


async def test_a_broken_catalog_still_gets_a_polite_reply(
    service: ConversationService, catalog: FixedCatalog, texts: Texts, session_factory
) -> None:
    def broken(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("index corrupted")

    catalog.search = broken  # type: ignore[method-assign]
    reply = await service.handle(ask("where is my order?"))
    assert reply.mode is AnswerMode.FALLBACK and reply.text == texts.get("error", "en")
    user_row, bot_row = await stored_messages(session_factory)
    assert user_row.unanswered and bot_row.text == reply.text


async def test_a_rate_limited_message_is_stored_without_a_model_call(
    service: ConversationService, catalog: FixedCatalog, fake_engine: FakeEngine, session_factory
) -> None:
    await service.record_rate_limited(ask("spam spam"), "Slow down, please.")
    await service.record_rate_limited(ask("more spam"), None)
    rows = await stored_messages(session_factory)
    assert [(r.role, r.text, r.mode) for r in rows] == [
        ("user", "spam spam", None),
        ("assistant", "Slow down, please.", "rate_limited"),
        ("user", "more spam", None),
    ]
    assert fake_engine.requests == [] and catalog.queries == []


async def test_language_of_is_the_customers_own_choice(service: ConversationService) -> None:
    assert await service.accounts.language_of("telegram", 5) is None
    await service.handle(ask("shipping?", user=5, channel="telegram", language_hint="zh"))
    assert await service.accounts.language_of("telegram", 5) is None, "a hint is not a choice"
    await service.accounts.set_language("telegram", 5, "zh-Hans")
    assert await service.accounts.language_of("telegram", 5) == "zh"
    assert await service.accounts.language_of("console", 5) is None, "per channel"


async def test_forget_deletes_only_that_customers_rows(
    service: ConversationService, catalog: FixedCatalog, session_factory
) -> None:
    catalog.answer_with((SHIPPING, 0.95))
    reply = await service.handle(ask("shipping?", user=7))
    other = await service.handle(ask("shipping?", user=8))
    assert reply.message_id is not None
    await service.accounts.record_feedback(reply.message_id, "console", 7, 1)
    await service.accounts.reset("console", 7, 7)
    await service.handle(ask("hello again", user=7))

    counts = await service.accounts.forget("console", 7)

    assert counts == {"messages": 4, "sessions": 2, "feedback": 1}
    rows = await stored_messages(session_factory)
    assert [(r.role, r.session_id) for r in rows] == [
        ("user", other.session_id),
        ("assistant", other.session_id),
    ], "other customers keep their data"
    assert await service.accounts.forget("console", 7) is None, "nothing left to forget"


async def test_example_questions_are_enabled_entries_in_the_language(
    service: ConversationService, session_factory
) -> None:
    async with session_factory() as s, s.begin():
        shipping = await faq.create(session=s, question="How long is shipping?", answer="3 days")
        await faq.create(session=s, question="运费多少？", answer="免费", language="zh")
        off = await faq.create(session=s, question="Old question?", answer="gone")
        await faq.update(session=s, entry=off, changes=faq.FaqChanges(enabled=False))
        returns = await faq.create(session=s, question="Can I return it?", answer="30 days")

    assert await service.example_questions("en", 5) == [
        (shipping.id, "How long is shipping?"),
        (returns.id, "Can I return it?"),
    ]
    assert await service.example_questions("en", 1) == [(shipping.id, "How long is shipping?")]
    assert await service.example_question(returns.id) == "Can I return it?"
    assert await service.example_question(9999) is None
