"""Customers who write again before the answer arrives: every reply answers its own question.

Issue 22: a customer asking A, B, C quickly got, for C, the answer of an earlier turn ("Do you
ship internationally?" -> the gift-card balance answer). The real bot (PTB over HTTP against the
fake Bot API, the real conversation service and demo FAQ, SQLite file) with several chats, each
sending its next question before the previous answer is delivered.
"""

from __future__ import annotations

from telegram.ext import Application

from bot.config import PROJECT_ROOT
from bot.knowledge.faq.faqfile import FaqRecord, read_faq_file
from tests.channels.telegram.conftest import replies, settled
from tests.channels.telegram.fake_bot_api import FakeBotApi

CHATS = 8
QUESTIONS = 4


def english_entries() -> list[FaqRecord]:
    return [e for e in read_faq_file(PROJECT_ROOT / "prompts" / "faq.yaml") if e.language == "en"]


async def test_each_reply_answers_its_own_question_when_customers_do_not_wait(
    bot: Application, fake_api: FakeBotApi
) -> None:
    entries = english_entries()
    # Chat n asks entries n*4 .. n*4+3 in a row: every neighbouring pair of the demo FAQ is a
    # topic switch somewhere, which is where an earlier turn's answer used to be reused.
    plan = {n: [entries[(n * QUESTIONS + i) % len(entries)] for i in range(QUESTIONS)]
            for n in range(CHATS)}  # fmt: skip
    users = {n: fake_api.user(500 + n, f"Customer {n}") for n in range(CHATS)}
    for i in range(QUESTIONS):  # all of a chat's questions arrive before its first answer
        for n in range(CHATS):
            fake_api.send_text(users[n], plan[n][i].question)
    wrong = []
    for n in range(CHATS):
        got = await replies(fake_api, 500 + n, QUESTIONS, within=120)
        assert len(got) == QUESTIONS, got
        for entry, text in zip(plan[n], got, strict=True):
            if entry.answer[:40] not in text:
                wrong.append(f"{entry.question!r} got {text[:60]!r}")
    await settled(bot)
    assert not wrong, "\n".join(wrong)
