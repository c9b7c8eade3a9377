"""Order within a chat, concurrency across chats, Telegram's 429s and our own flood control."""

from __future__ import annotations

import time

from sqlalchemy import select
from telegram.ext import Application

from bot.engine.fake import FakeEngine
from storage.models import Message
from tests.channels.telegram.conftest import SUPPORT_CHAT, ScriptedConversation, replies, services
from tests.channels.telegram.fake_bot_api import FakeBotApi


async def test_two_customers_in_parallel_each_answered_in_order(
    scripted_bot: Application, fake_api: FakeBotApi, scripted: list[ScriptedConversation]
) -> None:
    [conversation] = scripted
    ann, bob = fake_api.user(7, "Ann"), fake_api.user(8, "Bob")
    ann_scripts = [conversation.script(f"ann {i}") for i in range(3)]
    bob_scripts = [conversation.script(f"bob {i}") for i in range(3)]
    for i in range(3):
        fake_api.send_text(ann, f"ann {i}")
        fake_api.send_text(bob, f"bob {i}")
    # Ann's first answer is still being generated; Bob is served meanwhile, in his order.
    for i in reversed(range(3)):
        bob_scripts[i].put_nowait(f"answer to bob {i}")
        bob_scripts[i].put_nowait(None)
    assert await replies(fake_api, 8, 3) == [f"answer to bob {i}" for i in range(3)]
    assert fake_api.bot_texts(7) == []
    assert "ann 1" not in conversation.handled, "Ann's second message waits for her first"
    for i in reversed(range(3)):  # released out of order, still answered in order
        ann_scripts[i].put_nowait(f"answer to ann {i}")
        ann_scripts[i].put_nowait(None)
    assert await replies(fake_api, 7, 3) == [f"answer to ann {i}" for i in range(3)]


async def test_message_during_a_429_storm_is_still_answered(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.fail("*", status=429, retry_after=1, times=4)
    fake_api.send_text(ann, "How long does shipping take?")
    [answer] = await replies(fake_api, 7, 1, within=20)
    assert "3-5 business days" in answer
    assert len([c for c in fake_api.calls if c.status == 429]) == 4


async def test_flooding_user_gets_one_notice_and_no_model_calls_but_is_stored(
    bot: Application, fake_api: FakeBotApi, fake_engine: FakeEngine
) -> None:
    services(bot).flood.per_minute = 3
    ann, bob = fake_api.user(7, "Ann"), fake_api.user(8, "Bob")
    for i in range(6):
        fake_api.send_text(ann, f"hello number {i}")
    fake_api.send_text(bob, "hello")
    await replies(fake_api, 8, 1)
    texts = await replies(fake_api, 7, 4)
    assert sum("very quickly" in t for t in texts) == 1, texts
    # A minute later Ann is heard again; answered after all six (chat order).
    fake_api.send_text(ann, "/help", date=time.time() + 61)
    assert "/human" in (await replies(fake_api, 7, 5))[4]
    async with services(bot).app.session_factory() as db:
        stored = list(await db.scalars(select(Message).where(Message.role == "user")))
    assert len([m for m in stored if m.text.startswith("hello number")]) == 6
    assert len(fake_engine.requests) <= 3, "flooded messages never reach the model"


async def test_flood_control_does_not_hold_back_messages_to_a_person(
    bot: Application, fake_api: FakeBotApi
) -> None:
    services(bot).flood.per_minute = 2
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "/human")
    await replies(fake_api, SUPPORT_CHAT, 1)
    for i in range(4):
        fake_api.send_text(ann, f"detail {i}")
    relayed = await replies(fake_api, SUPPORT_CHAT, 5)
    assert [t.rsplit("\n", 1)[1] for t in relayed[1:]] == [f"detail {i}" for i in range(4)]


async def test_log_lines_of_an_answer_carry_its_chat_message_and_update(
    scripted_bot: Application, fake_api: FakeBotApi, scripted: list[ScriptedConversation]
) -> None:
    [conversation] = scripted
    ann, bob = fake_api.user(7, "Ann"), fake_api.user(8, "Bob")
    fake_api.send_text(ann, "How long does shipping take?")
    fake_api.send_text(bob, "What payment methods do you accept?")
    await replies(fake_api, 7, 1)
    await replies(fake_api, 8, 1)
    by_chat = {ids["chat_id"]: ids for ids in conversation.log_ids}
    assert set(by_chat) == {7, 8}  # each answer saw its own chat's ids, never the other's
    sent = {m["chat"]["id"]: m for m in (u["message"] for u in fake_api.pushed)}
    for chat_id, ids in by_chat.items():
        assert ids["message_id"] == sent[chat_id]["message_id"]
        assert ids["request_id"].startswith("update-")
