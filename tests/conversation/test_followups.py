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
from bot.conversation.followup import Earlier, FollowUpContext, context_of, looks_dependent
from bot.conversation.handoff import HandoffService
from bot.conversation.lookup import Lookup
from bot.conversation.service import ConversationService
from bot.knowledge.documents import FaqDocument, FaqHit
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
    assert context_of(answered, T0, message=FOLLOW_UP) is not None
    assert context_of(answered, None, message=FOLLOW_UP) is None  # a new session
    later = T0 + timedelta(seconds=5)
    assert context_of(answered, later, message=FOLLOW_UP) is None  # activity after the reply
    agent = [*answered, earlier("agent", None, (), 2)]
    assert context_of(agent, T0, message=FOLLOW_UP) is None
    unanswered = [earlier("user", None, (), 0), earlier("assistant", "handoff", (), 1)]
    assert context_of(unanswered, T0, message=FOLLOW_UP) is None
    assert context_of(answered, T0, message="加急呢？") is None  # switched language: asked anew


def test_dependence_cues_in_english_and_chinese() -> None:
    for text in (
        "and for express?",
        "how long does that take?",
        "那国际的呢？",
        "加急呢？",
        "买礼品卡能用吗？",  # Chinese drops the subject already named
        "摔坏了管不管？",
        "具体怎么操作？",
    ):
        assert looks_dependent(text), text
    for text in ("How do I reset my forgotten password?", "你们支持哪些付款方式？"):
        assert not looks_dependent(text), text


ACCOUNT = FaqDocument(1, "Do I need an account?", "No, guests can order. Sign up is free.")
CODES = FaqDocument(2, "How do I use a code?", "Press Apply at checkout.", tags=("payment",))
STEPS = FaqDocument(3, "How do I return?", "Go to Orders and press Return.", tags=("returns",))
POLICY = FaqDocument(4, "Return policy?", "Returns are free within 30 days.", tags=("returns",))


def lookup_over(results: dict[str, list[FaqHit]]) -> Lookup:
    """A Lookup over fixed search results (by exact query; anything else finds nothing)."""

    async def search(text: str) -> list[FaqHit]:
        return results.get(text, [])

    return Lookup(search, None, confident=0.7)


async def test_what_about_with_nothing_before_it_is_not_guessed() -> None:
    guess = [FaqHit(CODES, 1.0, 0.3)]
    lookup = lookup_over({"加急呢？": guess, "运费多少钱？": guess})
    assert (await lookup.find("加急呢？", None)).hits == []  # after /reset: no question to borrow
    assert (await lookup.find("运费多少钱？", None)).hits == guess  # a question of its own


async def test_a_follow_up_the_message_alone_picks_confidently_stays() -> None:
    # "how do I make one then?" after "do I need an account?": the account entry gives no steps
    # and the scorer finds no sentence, but retrieval on the message alone is confident.
    question = "ok how do I make one then?"
    results = {
        question: [FaqHit(ACCOUNT, 1.0, 0.75), FaqHit(CODES, 0.5, 0.1)],
        f"Do I need an account? {question}": [FaqHit(ACCOUNT, 1.0, 0.72)],
    }
    context = FollowUpContext(("Do I need an account?",), (1,))
    found = await lookup_over(results).find(question, context)
    assert found.hits[0].document is ACCOUNT


async def test_a_follow_up_the_answered_entry_cannot_answer_moves_to_a_sibling() -> None:
    # "具体怎么操作？" after the return policy: the steps entry shares the "returns" tag.
    question = "具体怎么操作？"
    earlier_question = "东西不想要了能退吗？"
    results = {
        question: [FaqHit(CODES, 1.0, 0.09), FaqHit(STEPS, 0.9, 0.05)],
        f"{earlier_question} {question}": [FaqHit(POLICY, 1.0, 0.3), FaqHit(CODES, 0.5, 0.08)],
    }
    results[f"{earlier_question} {question}"].append(FaqHit(STEPS, 0.4, 0.06))
    context = FollowUpContext((earlier_question,), (4,))
    found = await lookup_over(results).find(question, context)
    assert found.hits[0].document is STEPS
