"""Focused answers, two-question messages and "did you mean" choices, in the service and the
terminal chat, on the test shop's FAQ (``shop_faq``) ranked lexically (``embedding_model:
none``), so the outcomes are fixed by its words. The subsequence rule is checked on every entry
of the demo FAQ.
"""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from bot.app import App
from bot.channels.console import run_console
from bot.config import PROJECT_ROOT
from bot.conversation.exchange import AnswerMode, Incoming
from bot.knowledge.entries import FaqDocument
from bot.knowledge.faq.faqfile import read_faq_file
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.sentences import SentenceScorer, split_sentences
from storage.models import AnswerChoice

QUESTIONS = (
    "Is there a fee for sending stuff back?",
    "how long does it take?",
    "how much does it cost?",
    "what about express?",
    "退货要钱吗",
    "要多久？",
    "can I return sale items?",
)


def demo_documents() -> list[FaqDocument]:
    records = read_faq_file(PROJECT_ROOT / "prompts" / "faq.yaml")
    return [
        FaqDocument(str(r.id), r.question, r.answer, r.variants, r.tags, r.language)
        for r in records
    ]


def test_a_focused_answer_is_a_subsequence_of_the_entrys_sentences() -> None:
    documents = demo_documents()
    index = FaqIndex(None)
    index.rebuild(documents)
    scorer = SentenceScorer(index)
    focused = 0
    for document in documents:
        sentences = split_sentences(document.answer)
        # Splitting loses nothing but whitespace, and never cuts inside a number.
        assert "".join(sentences).replace(" ", "") == "".join(document.answer.split())
        numbers = re.findall(r"\d[\d.,:-]*\d|\d", document.answer)
        assert numbers == re.findall(r"\d[\d.,:-]*\d|\d", " ".join(sentences))
        for question in (document.question, *QUESTIONS):
            focus = scorer.focus(question, document)
            assert list(focus.lead) == sorted(set(focus.lead))  # in the entry's order
            assert [focus.sentences[i] for i in focus.lead] == [
                s for i, s in enumerate(sentences) if i in focus.lead
            ]
            rest = [s for i, s in enumerate(sentences) if i not in focus.lead]
            assert focus.rest_text == ("" if document.language == "zh" else " ").join(rest)
            if len(sentences) < 3:
                assert not focus.focused  # short entries are sent whole
            focused += focus.focused
    assert focused > 0


async def test_fee_question_leads_with_the_free_returns_sentence(app: App) -> None:
    reply = await app.conversation.handle(Incoming(1, 1, "are Quibbit returns free?"))
    assert reply.mode is AnswerMode.FAQ
    assert reply.text.startswith("Returns within the country are free")
    assert "broken seal" in reply.more  # the rest of the entry follows on request
    assert "broken seal" not in reply.text
    zh = await app.conversation.handle(Incoming(2, 2, "奎比特退货要钱吗"))
    assert zh.text.startswith("奎比特在国内退货免费")


async def test_a_message_asking_two_things_gets_both_answers_or_the_offer_of_one(
    app: App,
) -> None:
    reply = await app.conversation.handle(
        Incoming(3, 3, "I want to change the Quibbit address, also can I cancel the Quibbit order?")
    )
    address = int(
        app.catalog.search("Can I change the Quibbit delivery address?", 1)[0].document.id
    )
    cancel = int(app.catalog.search("Can I cancel my Quibbit order?", 1)[0].document.id)
    offered = [choice.faq_id for choice in reply.choices]
    assert sorted([*reply.faq_ids, *offered]) == sorted([address, cancel])
    assert reply.faq_ids  # at least one is answered at once


async def test_console_numbers_choices_and_a_number_sends_that_entry(app: App) -> None:
    stdin = io.StringIO("zorblax speaker\n2\n/quit\n")
    stdout = io.StringIO()
    await run_console(app.conversation, stdin=stdin, stdout=stdout)
    out = stdout.getvalue()
    assert "Did you mean" in out
    assert "  1. " in out and "  2. " in out
    second = out.split("  2. ", 1)[1].split("\n", 1)[0]
    [hit] = app.catalog.search(second, 1)
    assert f"bot> {split_sentences(hit.document.answer)[0]}" in out
    async with app.session_factory() as db:
        pick = await db.scalar(select(AnswerChoice))
    assert pick is not None and pick.faq_entry_id == int(hit.document.id)


async def test_console_prints_the_rest_after_a_focused_answer(app: App) -> None:
    stdin = io.StringIO("are Quibbit returns free?\n/quit\n")
    stdout = io.StringIO()
    await run_console(app.conversation, stdin=stdin, stdout=stdout)
    out = stdout.getvalue()
    lead, rest = out.index("Returns within the country are free"), out.index("broken seal")
    assert lead < rest
