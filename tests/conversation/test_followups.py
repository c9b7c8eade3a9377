"""Follow-up questions borrow the previous turn, and never across /reset, the TTL or a hand-off.

The real app (SQLite file) with the test shop's FAQ (``shop_faq``), ranked lexically
(``embedding_model: none``): "how long does that take?" alone is the home-delivery entry; after
"Do you deliver the Quibbit abroad?" it is the delivery-abroad entry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App, open_app
from bot.config import Settings
from bot.conversation.exchange import Incoming, Reply
from bot.conversation.followup import Earlier, context_of, looks_dependent
from bot.conversation.handoff import HandoffService
from bot.conversation.service import ConversationService
from tests.conversation.shop_faq import SHOP_FAQ

COST_Q = "Do you deliver the Quibbit abroad?"
FOLLOW_UP = "how long does that take?"
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    lexical = settings.model_copy(update={"embedding_model": "none"})
    async with open_app(lexical, load_model=False, import_demo=False) as opened:
        await opened.catalog.import_records(SHOP_FAQ, author="test")
        yield opened


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def service_with(app: App, clock: Clock) -> ConversationService:
    return ConversationService(
        settings=app.settings,
        session_factory=app.session_factory,
        catalog=app.catalog,
        engine=None,
        texts=app.texts,
        clock=clock,
    )


async def ask(service: ConversationService, text: str, user: int = 5) -> Reply:
    return await service.handle(Incoming(user, user, text, channel="test"))


async def entry_id(app: App, question: str) -> int:
    [hit] = app.catalog.search(question, 1)
    return int(hit.document.id)


async def test_follow_up_is_answered_with_the_previous_question(app: App) -> None:
    clock = Clock()
    service = service_with(app, clock)
    cost = await entry_id(app, COST_Q)
    alone = await ask(service, FOLLOW_UP, user=9)  # another customer, no conversation
    assert alone.faq_ids[:1] != [cost]

    first = await ask(service, COST_Q)
    clock.now += timedelta(seconds=20)
    second = await ask(service, FOLLOW_UP)

    assert first.faq_ids == [cost]
    assert second.faq_ids[:1] == [cost]
    assert "7-14 business days" in second.text


async def test_follow_up_never_crosses_reset(app: App) -> None:
    clock = Clock()
    service = service_with(app, clock)
    cost = await entry_id(app, COST_Q)
    await ask(service, COST_Q)
    assert await service.accounts.reset("test", 5, 5)
    clock.now += timedelta(seconds=20)
    after = await ask(service, FOLLOW_UP)
    assert after.faq_ids[:1] != [cost]


async def test_follow_up_never_crosses_the_session_ttl(app: App) -> None:
    clock = Clock()
    service = service_with(app, clock)
    cost = await entry_id(app, COST_Q)
    first = await ask(service, COST_Q)
    clock.now += app.settings.session_ttl + timedelta(minutes=1)
    later = await ask(service, FOLLOW_UP)
    assert later.session_id != first.session_id
    assert later.faq_ids[:1] != [cost]


async def test_follow_up_never_crosses_a_hand_off_even_a_silent_one(app: App) -> None:
    clock = Clock()
    service = service_with(app, clock)
    handoff = HandoffService(app.session_factory, channel="test", session_ttl=timedelta(hours=1))
    cost = await entry_id(app, COST_Q)
    first = await ask(service, COST_Q)
    # The customer pressed "talk to a person" and came back with /bot; nobody wrote meanwhile.
    ticket = await handoff.start(user_external_id=5, chat_id=5, now=T0 + timedelta(seconds=5))
    await handoff.finish(ticket.customer.session_id, now=T0 + timedelta(seconds=10))
    clock.now += timedelta(seconds=20)
    after = await ask(service, FOLLOW_UP)
    assert after.session_id == first.session_id  # same session, yet no borrowed context
    assert after.faq_ids[:1] != [cost]


def earlier(role: str, mode: str | None, faq_ids: tuple[int, ...], at: int) -> Earlier:
    return Earlier(role, "text", mode, faq_ids, T0 + timedelta(seconds=at))


def test_context_only_from_an_answered_exchange_right_before() -> None:
    answered = [earlier("user", None, (), 0), earlier("assistant", "faq", (3,), 1)]
    assert context_of(answered, T0) is not None
    assert context_of(answered, None) is None  # a new session
    assert context_of(answered, T0 + timedelta(seconds=5)) is None  # activity after the reply
    agent = [*answered, earlier("agent", None, (), 2)]
    assert context_of(agent, T0) is None
    unanswered = [earlier("user", None, (), 0), earlier("assistant", "handoff", (), 1)]
    assert context_of(unanswered, T0) is None


def test_dependence_cues_in_english_and_chinese() -> None:
    for text in ("and for express?", "how long does that take?", "那国际的呢？", "加急呢？"):
        assert looks_dependent(text), text
    for text in ("How do I reset my forgotten password?", "你们支持哪些付款方式？"):
        assert not looks_dependent(text), text
