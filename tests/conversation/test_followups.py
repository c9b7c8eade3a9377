"""Follow-up questions borrow the previous turn, and never across /reset, the TTL or a hand-off.

The real app (SQLite file) with the test shop's FAQ (``shop_faq``), ranked lexically
(``embedding_model: none``): "how long does that take?" alone is the home-delivery entry; after
"Do you deliver the Quibbit abroad?" it is the delivery-abroad entry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from bot.conversation.fitting import topical_fits
from bot.conversation.followup import Earlier, FollowUpContext, context_of, looks_dependent
from bot.conversation.handoff import HandoffService
from bot.conversation.lookup import BORROW_FIT, Lookup
from bot.conversation.service import ConversationService
from bot.knowledge.entries import FaqDocument, FaqHit

COST_Q = "Do you deliver the Quibbit abroad?"
FOLLOW_UP = "how long does that take?"
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


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


# --- topic switches (issue 18) ------------------------------------------------------------------
SWITCH_OUTSIDE = "Will the daycare stay open during the school holidays?"


async def test_a_whole_question_after_a_topic_is_answered_alone(app: App) -> None:
    clock = Clock()
    service = service_with(app, clock)
    delivery = await entry_id(app, COST_Q)
    reset = await entry_id(app, "How do I reset the Zorblax speaker?")
    assert (await ask(service, COST_Q)).faq_ids == [delivery]
    clock.now += timedelta(seconds=20)
    other_entry = await ask(service, "How do I reset the Zorblax speaker?")
    assert other_entry.faq_ids[:1] == [reset]
    clock.now += timedelta(seconds=20)
    await ask(service, COST_Q, user=6)
    outside = await ask(service, SWITCH_OUTSIDE, user=6)
    assert outside.faq_ids[:1] != [delivery]
    assert outside.mode is not AnswerMode.FAQ


async def test_a_whole_question_is_searched_alone_even_when_the_joint_search_is_sure() -> None:
    # No sentence scorer: nothing can show that the earlier topic fits, so it lends nothing.
    question = "Do you wrap presents for birthdays?"
    results = {
        question: [FaqHit(ACCOUNT, 1.0, 0.3)],
        f"How do I use a code? {question}": [FaqHit(CODES, 1.0, 0.95)],
    }
    found = await lookup_over(results).find(
        question, FollowUpContext(("How do I use a code?",), (2,))
    )
    assert [hit.document for hit in found.hits] == [ACCOUNT]
    assert not found.used_context


async def test_a_fragment_or_a_message_pointing_back_still_borrows() -> None:
    for question in ("and for sale items?", "how long does that take?"):
        assert looks_dependent(question), question
        results = {f"Return policy? {question}": [FaqHit(POLICY, 1.0, 0.9)]}
        found = await lookup_over(results).find(
            question, FollowUpContext(("Return policy?",), (4,))
        )
        assert found.hits[0].document is POLICY, question
        assert found.used_context


async def scored_lookup(app: App, results: dict[str, list[FaqHit]]) -> Lookup:
    """A Lookup over fixed search results that rates sentences with the app's real scorer."""
    scorer = service_with(app, Clock()).scorer
    assert scorer is not None

    async def search(text: str) -> list[FaqHit]:
        return results.get(text, [])

    return Lookup(search, scorer, confident=0.7)


async def test_a_borrowed_topic_never_makes_a_whole_question_confident(app: App) -> None:
    [battery] = app.catalog.search("What should I know about the Quibbit battery?", 1)
    earlier_question = "What should I know about the Quibbit battery?"
    question = "how many minutes does charging fully take?"  # whole, and fits sentence 2
    lookup = await scored_lookup(
        app,
        {
            question: [FaqHit(battery.document, 1.0, 0.3)],
            f"{earlier_question} {question}": [FaqHit(battery.document, 1.0, 0.99)],
        },
    )
    assert not looks_dependent(question)
    fit = topical_fits(lookup.scorer, question, [battery.document])[battery.document.id]
    assert fit >= BORROW_FIT  # the earlier topic may help...
    found = await lookup.find(question, FollowUpContext((earlier_question,), (3,)))
    assert found.hits[0].document.id == battery.document.id
    assert found.hits[0].confidence < 0.7  # ... but only as a partial match


async def test_a_borrowed_topic_lends_nothing_to_a_question_that_fits_none_of_it(app: App) -> None:
    [delivery] = app.catalog.search(COST_Q, 1)
    [returns] = app.catalog.search("What is the Quibbit return policy?", 1)
    question = "What does a streaming subscription cost per month?"  # asks a price, like 4 does
    lookup = await scored_lookup(
        app,
        {
            question: [FaqHit(returns.document, 1.0, 0.1)],
            f"{COST_Q} {question}": [FaqHit(delivery.document, 1.0, 0.95)],
        },
    )
    found = await lookup.find(question, FollowUpContext((COST_Q,), (int(delivery.document.id),)))
    assert delivery.document.id not in [hit.document.id for hit in found.hits[:1]]
    assert all(hit.confidence < 0.7 for hit in found.hits)


def test_cue_words_that_point_nowhere_are_no_cues() -> None:
    for text in (
        "is there parking near the shop?",
        "is it possible to pay for a sofa in monthly instalments?",
        "what voltage do your kettles run on?",
        "can I order one of your catalogues by post?",
        "will the play area be open this weekend?",
        "这个咖啡机能做拿铁吗？",
        "你们也收二手手机吗？",
    ):
        assert not looks_dependent(text), text
    for text in (
        "这个多少钱？",
        "这个能退吗？",
        "多少天之内有效？",
        "要另外收费吗？",
        "is it free?",
    ):
        assert looks_dependent(text), text


def test_a_chain_on_one_entry_keeps_its_first_question() -> None:
    chain = [
        Earlier("user", "can't remember my password", None, (), T0),
        Earlier("assistant", "reset link", "faq", (7,), T0 + timedelta(seconds=1)),
        Earlier("user", "the email never came", None, (), T0 + timedelta(seconds=2)),
        Earlier("assistant", "reset link", "fallback", (7,), T0 + timedelta(seconds=3)),
    ]
    context = context_of(chain, T0 + timedelta(seconds=3), message="how long is the link good for?")
    assert context is not None
    assert context.questions == ("can't remember my password", "the email never came")
    switched = [*chain[:3], Earlier("assistant", "other", "faq", (9,), T0 + timedelta(seconds=3))]
    context = context_of(switched, T0 + timedelta(seconds=3), message="how long is it valid?")
    assert context is not None and context.questions == ("the email never came",)


async def test_a_one_word_fragment_on_a_new_subject_moves_there(app: App) -> None:
    # "pairing, how long?" after the home-delivery answer: one topic word of its own and no
    # pointer back; the delivery entry shares only the kind of answer (a duration), so the
    # entry retrieval alone is sure of wins ("保修多久？" after a delivery-time answer).
    earlier_question = "How long does Quibbit delivery take at home?"
    [delivery] = app.catalog.search(earlier_question, 1)
    [pair] = app.catalog.search("How do I pair the Zorblax speaker?", 1)
    question = "pairing, how long?"
    lookup = await scored_lookup(
        app,
        {
            question: [FaqHit(pair.document, 1.0, 0.9)],
            f"{earlier_question} {question}": [
                FaqHit(delivery.document, 1.0, 0.75),
                FaqHit(pair.document, 0.5, 0.05),
            ],
        },
    )
    assert looks_dependent(question)
    context = FollowUpContext((earlier_question,), (int(delivery.document.id),))
    found = await lookup.find(question, context)
    assert found.hits[0].document.id == pair.document.id


async def test_a_question_naming_one_thing_at_most_borrows_the_kind_of_answer_asked(
    app: App,
) -> None:
    """ "how long do I have to tell you?" after the return policy names nothing the policy
    says, but asks for a duration, which the policy gives (30 days): a partial match. A
    question naming things of its own asking the same kind gets nothing from the topic."""
    [returns] = app.catalog.search("What is the Quibbit return policy?", 1)
    earlier = "What is the Quibbit return policy?"
    context = FollowUpContext((earlier,), (int(returns.document.id),))
    generic = "how long do I have to tell you?"
    named = "how long does a flight to the moon take?"
    lookup = await scored_lookup(
        app,
        {
            f"{earlier} {generic}": [FaqHit(returns.document, 1.0, 0.9)],
            f"{earlier} {named}": [FaqHit(returns.document, 1.0, 0.9)],
        },
    )
    assert not looks_dependent(generic)
    found = await lookup.find(generic, context)
    assert found.hits and found.hits[0].document.id == returns.document.id
    assert 0.2 <= found.hits[0].confidence < 0.7
    assert not (await lookup.find(named, context)).hits


async def test_a_fragment_the_message_alone_places_elsewhere_is_not_stated_as_fact(
    app: App,
) -> None:
    # "退款几天到？" after "买错了能退吗": the return policy shares 退款 and gives a number of
    # days, so the conversation stays with it, while the message alone is confidently the
    # refund-time entry. Either may be meant: the topic is offered as a partial match only.
    policy = FaqDocument(
        11, "退货政策是什么？", "收货后 30 天内可以退货并全额退款。国内退货免费。", language="zh"
    )
    refund = FaqDocument(12, "退款多久能到账？", "收到退货后 5-7 个工作日内退款。", language="zh")
    earlier, question = "买错了能退吗", "退款几天到？"
    results = {
        question: [FaqHit(refund, 1.0, 0.74), FaqHit(policy, 0.6, 0.2)],
        f"{earlier} {question}": [FaqHit(policy, 1.0, 0.8), FaqHit(refund, 0.9, 0.5)],
    }
    found = await (await scored_lookup(app, results)).find(
        question, FollowUpContext((earlier,), (11,))
    )
    assert found.hits[0].confidence < 0.7
    assert refund in [hit.document for hit in found.hits]
