"""Customers over the real Bot API protocol: commands, questions, buttons, groups, media."""

from __future__ import annotations

from sqlalchemy import func, select
from telegram.ext import Application

from storage.models import ChatSession, Feedback, Message
from tests.channels.telegram.conftest import replies, services, thumb
from tests.channels.telegram.fake_bot_api import BOT_USER, FakeBotApi

SHIPPING_Q = "How long does shipping take?"


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_greets_by_business_name_with_example_buttons_that_ask(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "/start")
    [greeting] = await replies(fake_api, 7, 1)
    assert "Acme Shop" in greeting
    start_message = fake_api.bot_messages(7)[0]
    examples = [b for b in buttons(start_message) if b.startswith("ask:")]
    assert len(examples) == 3
    fake_api.press(ann, start_message, examples[0])
    texts = await replies(fake_api, 7, 2)
    assert texts[1]  # the example question was answered like a typed one
    assert fake_api.sent("answerCallbackQuery")


async def test_question_answered_from_faq_with_feedback_buttons_stored(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, SHIPPING_Q)
    [answer] = await replies(fake_api, 7, 1)
    assert "3-5 business days" in answer
    assert fake_api.sent("sendChatAction", 7), "typing shown while answering"
    message = fake_api.bot_messages(7)[0]
    thumbs = [b for b in buttons(message) if b.startswith("fb:")]  # after "More", if any
    assert thumbs[0].startswith("fb:+1:") and thumbs[1].startswith("fb:-1:")
    fake_api.press(ann, message, thumbs[0])
    await fake_api.wait_until(lambda: fake_api.sent("answerCallbackQuery"))
    async with services(bot).app.session_factory() as db:
        assert await db.scalar(select(Feedback.rating)) == 1


async def test_thumbs_down_offers_a_person(bot: Application, fake_api: FakeBotApi) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, SHIPPING_Q)
    await replies(fake_api, 7, 1)
    message = fake_api.bot_messages(7)[0]
    fake_api.press(ann, message, thumb(message, "fb:-1:"))
    texts = await replies(fake_api, 7, 2)
    assert "person" in texts[1]
    assert buttons(fake_api.bot_messages(7)[1]) == ["human"]
    async with services(bot).app.session_factory() as db:
        assert await db.scalar(select(Feedback.rating)) == -1


async def test_help_reset_and_language(bot: Application, fake_api: FakeBotApi) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "/help")
    fake_api.send_text(ann, SHIPPING_Q)
    fake_api.send_text(ann, "/reset")
    texts = await replies(fake_api, 7, 3)
    assert "/human" in texts[0] and "start over" in texts[2]
    async with services(bot).app.session_factory() as db:
        ended = await db.scalar(
            select(func.count()).select_from(ChatSession).where(ChatSession.ended_at.is_not(None))
        )
    assert ended == 1
    fake_api.send_text(ann, "/language")
    await replies(fake_api, 7, 4)
    chooser = fake_api.bot_messages(7)[3]
    assert "lang:zh" in buttons(chooser)
    fake_api.press(ann, chooser, "lang:zh")
    await fake_api.wait_until(lambda: "中文" in fake_api.bot_messages(7)[3]["text"])
    fake_api.send_text(ann, "/help")
    texts = await replies(fake_api, 7, 5)
    assert "直接输入" in texts[4]


async def test_html_is_escaped_and_rejected_html_is_resent_as_plain_text(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann <b>&")
    fake_api.send_text(ann, "/help")
    await replies(fake_api, 7, 1)
    fake_api.fail(
        "sendMessage",
        status=400,
        description="Bad Request: can't parse entities: boom",
        when=lambda p: p.get("parse_mode") == "HTML",
    )
    fake_api.send_text(ann, SHIPPING_Q)
    texts = await replies(fake_api, 7, 2)
    assert "3-5 business days" in texts[1]
    plain = fake_api.sent("sendMessage", 7)[-1]
    assert "parse_mode" not in plain.params
    assert buttons(fake_api.bot_messages(7)[1]), "the buttons survive the plain re-send"


async def test_media_gets_text_only_reply_offering_a_person(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    for kind in ("photo", "sticker", "voice", "document", "location"):
        fake_api.send_media(ann, kind)
    texts = await replies(fake_api, 7, 5)
    assert all("only read text" in t for t in texts)
    assert buttons(fake_api.bot_messages(7)[0]) == ["human"]


async def test_edited_message_is_answered_as_a_new_question(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    original = fake_api.send_text(ann, "hello")
    await replies(fake_api, 7, 1)
    fake_api.edit_text(original, SHIPPING_Q)
    texts = await replies(fake_api, 7, 2)
    assert "3-5 business days" in texts[1]
    async with services(bot).app.session_factory() as db:
        questions = list(await db.scalars(select(Message.text).where(Message.role == "user")))
    assert questions == ["hello", SHIPPING_Q]


async def test_groups_only_when_mentioned_or_replied_and_channel_posts_ignored(
    bot: Application, fake_api: FakeBotApi
) -> None:
    group = fake_api.group(-500, "Friends", kind="group")["id"]
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, SHIPPING_Q, chat_id=group)
    fake_api.channel_post(-600, SHIPPING_Q)
    fake_api.send_text(ann, f"@{BOT_USER['username']} {SHIPPING_Q}", chat_id=group)
    [answer] = await replies(fake_api, group, 1)
    assert "3-5 business days" in answer
    fake_api.send_text(
        ann,
        "What payment methods do you accept?",
        chat_id=group,
        reply_to=fake_api.bot_messages(group)[0],
    )
    texts = await replies(fake_api, group, 2)
    assert texts[1] != answer
    assert not fake_api.sent(chat_id=-600)
    async with services(bot).app.session_factory() as db:
        stored = list(await db.scalars(select(Message.text).where(Message.role == "user")))
    assert stored == [SHIPPING_Q, "What payment methods do you accept?"]  # mention stripped


async def test_long_reply_is_split_under_the_limit_without_breaking_html(
    bot: Application, fake_api: FakeBotApi
) -> None:
    paragraph = "Our <returns> & refunds policy is generous. " * 40
    answer = "\n\n".join([paragraph.strip()] * 6)  # ~10,800 characters
    app = services(bot).app
    async with app.session_factory.begin() as db:
        from storage.repositories import faq

        await faq.create(
            session=db, question="Tell me everything about refunds zebra", answer=answer
        )
    await app.catalog.load()
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "Tell me everything about refunds zebra")
    texts = await replies(fake_api, 7, 3)
    assert all(len(t) <= 4096 for t in texts)
    assert answer.replace("\n\n", "") in "".join(texts).replace("\n\n", "")
    assert "&lt;returns&gt; &amp;" in fake_api.sent("sendMessage", 7)[0].params["text"]
    assert buttons(fake_api.bot_messages(7)[-1]), "the buttons go under the last part"
