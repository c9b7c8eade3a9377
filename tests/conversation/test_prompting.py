"""The prompt builder: layout, template rendering, the token budget and focused entries."""

from __future__ import annotations

from bot.config import PROJECT_ROOT
from bot.conversation.generation import generate_grounded, lead_sentences
from bot.engine.base import ChatMessage
from bot.engine.fake import FakeEngine
from bot.knowledge.entries import FaqDocument
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.sentences import SentenceScorer
from bot.prompting.builder import build_prompt, format_entry, render_system_prompt
from tests.conversation.conftest import HOURS, RETURNS, SHIPPING
from tests.conversation.test_focused import demo_documents

count = FakeEngine().count_tokens
TEMPLATE = (PROJECT_ROOT / "prompts" / "system.j2").read_text(encoding="utf-8")


def long_history(turns: int) -> list[ChatMessage]:
    return [
        ChatMessage("user" if i % 2 == 0 else "assistant", f"turn {i} " + "word " * 40)
        for i in range(turns)
    ]


def test_system_prompt_names_the_business_and_the_reply_language() -> None:
    text = render_system_prompt(TEMPLATE, business_name="Bolt Bikes", language="zh")
    assert "Bolt Bikes" in text and "Chinese" in text and "don't know" in text


def test_stable_parts_come_first_and_the_customers_words_last() -> None:
    built = build_prompt(
        system_prompt="sys",
        question="When do you open?",
        documents=[HOURS, SHIPPING],
        history=[],
        budget_tokens=10_000,
        count_tokens=count,
    )
    system, last = built.messages[0].content, built.messages[-1].content
    assert system.startswith("sys") and system.index(format_entry(1, HOURS)) < system.index(
        format_entry(2, SHIPPING)
    )
    assert last == "Customer question: When do you open?"
    assert built.faq_ids == [3, 1] and not built.over_budget


def test_customers_and_turns_on_the_same_entries_share_the_whole_system_message() -> None:
    def prompt(question: str, history: list[ChatMessage]) -> list[ChatMessage]:
        return build_prompt(
            system_prompt="sys",
            question=question,
            documents=[HOURS, SHIPPING],
            history=history,
            budget_tokens=10_000,
            count_tokens=count,
        ).messages

    first = prompt("When do you open?", [])
    other_customer = prompt("Are you open on Sunday?", [])
    follow_up = prompt("And on holidays?", [ChatMessage("user", "When do you open?")])
    assert first[0] == other_customer[0] == follow_up[0]
    assert follow_up[1] == ChatMessage("user", "When do you open?")


def test_question_first_layout_is_still_available() -> None:
    built = build_prompt(
        system_prompt="sys",
        question="When do you open?",
        documents=[HOURS, SHIPPING],
        history=[],
        budget_tokens=10_000,
        count_tokens=count,
        layout="question_first",
    )
    last = built.messages[-1].content
    assert built.messages[0].content == "sys"
    assert last.index("When do you open?") < last.index(format_entry(1, HOURS))
    assert last.index(format_entry(1, HOURS)) < last.index(format_entry(2, SHIPPING))


def test_long_history_is_trimmed_oldest_first_and_the_faq_context_survives() -> None:
    history = long_history(30)
    built = build_prompt(
        system_prompt="sys",
        question="When do you open?",
        documents=[HOURS, RETURNS],
        history=history,
        budget_tokens=400,
        count_tokens=count,
    )
    assert built.prompt_tokens <= 400
    assert built.faq_ids == [3, 2]
    assert 0 < built.history_kept < 30
    kept = built.messages[1:-1]
    assert kept == history[-built.history_kept :]  # the newest turns, whole
    assert built.history_dropped == 30 - built.history_kept


def test_when_history_is_gone_lower_ranked_entries_go_whole() -> None:
    budget = build_prompt(
        system_prompt="sys",
        question="When do you open?",
        documents=[HOURS],
        history=[],
        budget_tokens=10_000,
        count_tokens=count,
    ).prompt_tokens
    built = build_prompt(
        system_prompt="sys",
        question="When do you open?",
        documents=[HOURS, RETURNS, SHIPPING],
        history=long_history(4),
        budget_tokens=budget,
        count_tokens=count,
    )
    assert built.history_kept == 0
    assert built.faq_ids == [3]  # best entry kept
    assert HOURS.answer in built.messages[0].content  # whole, not cut
    assert RETURNS.answer not in built.messages[0].content
    assert built.prompt_tokens <= budget


def test_an_impossible_budget_keeps_the_question_and_says_so() -> None:
    built = build_prompt(
        system_prompt="sys",
        question="When do you open?",
        documents=[HOURS],
        history=long_history(2),
        budget_tokens=3,
        count_tokens=count,
    )
    assert built.over_budget and built.faq_ids == [] and built.history_kept == 0
    assert "When do you open?" in built.messages[-1].content


def test_focus_shows_the_sentences_it_chooses_and_keeps_every_entry() -> None:
    two_facts = FaqDocument(
        7, "Shipping?", "Standard shipping is free over 50 EUR. Express costs 12 EUR."
    )
    built = build_prompt(
        system_prompt="sys",
        question="How much is express?",
        documents=[two_facts, HOURS],
        history=[],
        budget_tokens=10_000,
        count_tokens=count,
        focus=lambda question, doc: "Express costs 12 EUR." if doc.id == 7 else "",
    )
    system = built.messages[0].content
    assert "A: Express costs 12 EUR." in system and "free over 50" not in system
    assert HOURS.answer in system  # nothing chosen: the entry goes whole
    assert built.faq_ids == [7, 3]


async def test_the_generation_prompt_leads_with_the_scorers_sentences_and_grounds_on_all() -> None:
    documents = demo_documents()
    index = FaqIndex(None)
    index.rebuild(documents)
    scorer = SentenceScorer(index)
    question, document = next(
        (q, d)
        for d in documents
        for q in ("how much does it cost?", "how long does it take?", *d.variants)
        if d.language == "en" and scorer.focus(q, d).focused
    )
    focus = scorer.focus(question, document)
    left_out = focus.rest_text.split(". ")[0]
    engine = FakeEngine()
    engine.enqueue(f"{left_out}.")  # a fact the prompt left out is still in the entry
    answer = await generate_grounded(
        engine,
        question=question,
        documents=[document],
        history=[],
        system_template=TEMPLATE,
        business_name="Acme",
        language="en",
        budget_tokens=10_000,
        max_new_tokens=64,
        timeout_seconds=10,
        on_text=lambda piece: None,
        focus=lead_sentences(scorer),
    )
    system = engine.requests[0].messages[0].content
    assert f"A: {focus.lead_text}" in system and left_out not in system
    assert answer.failure is None and left_out in answer.text
