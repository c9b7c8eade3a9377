"""Human hand-off over Telegram: tickets, relays both ways, /done, overdue notices."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from telegram.ext import Application

from bot.channels.telegram.relay import notify_overdue
from bot.engine.fake import FakeEngine
from storage.models import ChatSession, Message, SessionState, utcnow
from tests.channels.telegram.conftest import SUPPORT_CHAT, replies, services, settled, thumb
from tests.channels.telegram.fake_bot_api import FakeBotApi

SHIPPING_Q = "How long does shipping take?"


async def _session(bot: Application) -> ChatSession:
    async with services(bot).app.session_factory() as db:
        return (await db.scalars(select(ChatSession).order_by(ChatSession.id.desc()))).first()


async def test_round_trip_customer_agent_customer_done_then_bot_answers_again(
    bot: Application, fake_api: FakeBotApi, fake_engine: FakeEngine
) -> None:
    ann, agent = fake_api.user(7, "Ann", "en"), fake_api.user(900, "Sam")
    fake_api.send_text(ann, "Where is my parcel zebra?")  # nothing relevant: unanswered
    await replies(fake_api, 7, 1)
    fake_api.send_text(ann, "/human")
    ticket = (await replies(fake_api, SUPPORT_CHAT, 1))[0]
    assert "Ticket #" in ticket and "Ann" in ticket and "id 7" in ticket and "language en" in ticket
    assert "Where is my parcel zebra?" in ticket.split("Not answered by the bot:")[1]
    assert "team will reply" in (await replies(fake_api, 7, 2))[1]
    assert (await _session(bot)).state == SessionState.HUMAN

    model_calls = len(fake_engine.requests)
    fake_api.send_text(ann, "It was due last Monday <b>")
    relayed = (await replies(fake_api, SUPPORT_CHAT, 2))[1]
    customer_message_at = fake_api.sent("sendMessage", 7)[-1].at
    assert relayed.endswith("It was due last Monday <b>")
    relayed_message = fake_api.bot_messages(SUPPORT_CHAT)[1]
    assert (
        relayed_message["reply_to_message"]["message_id"]
        == fake_api.bot_messages(SUPPORT_CHAT)[0]["message_id"]
    )
    assert len(fake_engine.requests) == model_calls, "no model call while a person has the chat"
    assert len(fake_api.bot_texts(7)) == 2, "the bot stays silent"
    typing = fake_api.sent("sendChatAction", 7)
    assert all(c.at < customer_message_at for c in typing), "not even typing"

    await settled(bot)  # the relayed message's id is recorded once its handling is done
    fake_api.send_text(
        agent, "Sorry Ann, it leaves today.", chat_id=SUPPORT_CHAT, reply_to=relayed_message
    )
    texts = await replies(fake_api, 7, 4)
    assert "Sam" in texts[2] and texts[3] == "Sorry Ann, it leaves today."
    assert fake_api.sent("copyMessage", 7)
    async with services(bot).app.session_factory() as db:
        agent_rows = list(await db.scalars(select(Message).where(Message.role == "agent")))
    assert [m.text for m in agent_rows] == ["Sorry Ann, it leaves today."]

    fake_api.send_text(
        agent, "/done", chat_id=SUPPORT_CHAT, reply_to=fake_api.bot_messages(SUPPORT_CHAT)[0]
    )
    assert "ended" in (await replies(fake_api, 7, 5))[4]
    assert (await _session(bot)).state == SessionState.BOT
    fake_api.send_text(ann, SHIPPING_Q)
    assert "3-5 business days" in (await replies(fake_api, 7, 6))[5]


async def test_reply_command_ticket_button_and_agents_chatting_among_themselves(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann, agent = fake_api.user(7, "Ann"), fake_api.user(900, "Sam")
    fake_api.send_text(ann, "/human")
    await replies(fake_api, SUPPORT_CHAT, 1)
    session_id = (await _session(bot)).id
    fake_api.send_text(agent, "coffee anyone?", chat_id=SUPPORT_CHAT)
    fake_api.send_text(agent, f"/reply {session_id} Hello from the team", chat_id=SUPPORT_CHAT)
    texts = await replies(fake_api, 7, 3)
    assert texts[2] == "Hello from the team"
    assert len(fake_api.bot_texts(SUPPORT_CHAT)) == 1, "the bot ignores the agents' chatter"
    ticket = fake_api.bot_messages(SUPPORT_CHAT)[0]
    fake_api.press(agent, ticket, f"done:{session_id}")
    assert "ended" in (await replies(fake_api, 7, 4))[3]
    await fake_api.wait_until(lambda: "reply_markup" not in fake_api.bot_messages(SUPPORT_CHAT)[0])


async def test_asking_for_a_person_in_words_and_via_thumbs_down_button(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "I want to talk to a human")
    await replies(fake_api, SUPPORT_CHAT, 1)
    assert (await _session(bot)).state == SessionState.HUMAN
    fake_api.send_text(ann, "/bot")
    await fake_api.wait_until(lambda: any("ended" in t for t in fake_api.bot_texts(7)))
    note = (await replies(fake_api, SUPPORT_CHAT, 2))[1]
    assert "went back to the bot" in note
    fake_api.send_text(ann, SHIPPING_Q)
    await fake_api.wait_until(lambda: any("3-5" in t for t in fake_api.bot_texts(7)))
    answer = next(m for m in fake_api.bot_messages(7) if "3-5" in m["text"])
    fake_api.press(ann, answer, thumb(answer, "fb:-1:"))
    await fake_api.wait_until(lambda: any("talk to a person" in t for t in fake_api.bot_texts(7)))
    offer = next(m for m in fake_api.bot_messages(7) if "talk to a person" in m["text"])
    fake_api.press(ann, offer, "human")
    await fake_api.wait_until(lambda: len(fake_api.bot_texts(SUPPORT_CHAT)) >= 3)
    assert (await _session(bot)).state == SessionState.HUMAN


async def test_media_during_hand_off_is_copied_to_agents(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "/human")
    await replies(fake_api, SUPPORT_CHAT, 1)
    fake_api.send_media(ann, "photo")
    copy = await fake_api.wait_until(lambda: fake_api.sent("copyMessage", SUPPORT_CHAT))
    assert copy[0].params["from_chat_id"] == "7"
    await settled(bot)
    async with services(bot).app.session_factory() as db:
        texts = list(await db.scalars(select(Message.text).where(Message.role == "user")))
    assert texts == ["[photo]"]


async def test_customer_told_when_to_expect_an_answer_once_when_no_agent_replies(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "/human")
    await replies(fake_api, 7, 1)
    assert await notify_overdue(bot) == 0, "not overdue yet"
    later = utcnow() + timedelta(minutes=services(bot).settings.handoff_reply_minutes + 1)
    assert await notify_overdue(bot, now=later) == 1
    assert "reply soon" in (await replies(fake_api, 7, 2))[1]
    assert await notify_overdue(bot, now=later) == 0, "told once per hand-off"


async def test_no_support_chat_means_no_hand_off(tg_settings, opener, fake_api: FakeBotApi) -> None:
    from bot.channels.telegram import serving
    from tests.channels.telegram.conftest import FAST

    settings = tg_settings.model_copy(update={"support_chat_id": None})
    async with serving(settings, opener, tuning=FAST):
        ann = fake_api.user(7, "Ann")
        fake_api.send_text(ann, "/human")
        assert "no one from our team" in (await replies(fake_api, 7, 1))[0]
        fake_api.send_media(ann, "sticker")
        await replies(fake_api, 7, 2)
        assert "reply_markup" not in fake_api.bot_messages(7)[1], "no person to offer"


async def test_agent_told_when_the_customer_cannot_be_reached(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann, agent = fake_api.user(7, "Ann"), fake_api.user(900, "Sam")
    fake_api.send_text(ann, "/human")
    await replies(fake_api, SUPPORT_CHAT, 1)
    await settled(bot)  # the ticket's message id is recorded once the /human handling is done
    fake_api.fail("copyMessage", status=403, description="Forbidden: bot was blocked by the user")
    ticket = fake_api.bot_messages(SUPPORT_CHAT)[0]
    fake_api.send_text(agent, "Hello?", chat_id=SUPPORT_CHAT, reply_to=ticket)
    warning = (await replies(fake_api, SUPPORT_CHAT, 2))[1]
    assert warning.startswith("⚠️ Not delivered to ticket #") and "blocked" in warning
