"""/forget: after a confirmation, no row of that user is left anywhere."""

from __future__ import annotations

from sqlalchemy import func, select
from telegram.ext import Application

from storage.models import ChatSession, Feedback, Message, User
from tests.channels.telegram.conftest import SUPPORT_CHAT, replies, services, thumb
from tests.channels.telegram.fake_bot_api import FakeBotApi


async def _rows(bot: Application, external_id: int) -> dict[str, int]:
    async with services(bot).app.session_factory() as db:
        user_ids = select(User.id).where(User.external_id == external_id)
        session_ids = select(ChatSession.id).where(ChatSession.user_id.in_(user_ids))
        counts = {}
        for name, query in {
            "users": select(func.count()).select_from(User).where(User.id.in_(user_ids)),
            "sessions": select(func.count())
            .select_from(ChatSession)
            .where(ChatSession.id.in_(session_ids)),
            "messages": select(func.count())
            .select_from(Message)
            .where(Message.session_id.in_(session_ids)),
            "feedback": select(func.count())
            .select_from(Feedback)
            .where(Feedback.user_id.in_(user_ids)),
        }.items():
            counts[name] = await db.scalar(query)
        return counts


async def test_forget_after_confirmation_leaves_no_row_of_that_user(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann, bob = fake_api.user(7, "Ann"), fake_api.user(8, "Bob")
    fake_api.send_text(ann, "How long does shipping take?")
    fake_api.send_text(bob, "How long does shipping take?")
    await replies(fake_api, 7, 1)
    await replies(fake_api, 8, 1)
    answer = fake_api.bot_messages(7)[0]
    fake_api.press(ann, answer, thumb(answer, "fb:+1:"))
    await fake_api.wait_until(lambda: fake_api.sent("answerCallbackQuery"))
    fake_api.send_text(ann, "/reset")
    fake_api.send_text(ann, "/human")  # a second session, with a hand-off
    await replies(fake_api, SUPPORT_CHAT, 1)
    fake_api.send_text(ann, "are you there?")
    await replies(fake_api, SUPPORT_CHAT, 2)
    assert (await _rows(bot, 7))["feedback"] == 1

    fake_api.send_text(ann, "/forget")
    confirm = (await replies(fake_api, 7, 4))[3]
    assert "cannot be undone" in confirm
    assert (await _rows(bot, 7))["users"] == 1, "nothing deleted before the confirmation"
    fake_api.press(ann, fake_api.bot_messages(7)[3], "forget:yes")
    await fake_api.wait_until(lambda: "Deleted" in fake_api.bot_texts(7)[3])
    assert "Deleted 3 messages, 2 conversations and 1 feedback" in fake_api.bot_texts(7)[3]
    assert await _rows(bot, 7) == {"users": 0, "sessions": 0, "messages": 0, "feedback": 0}
    assert (await _rows(bot, 8))["messages"] == 2, "other customers keep their data"


async def test_forget_cancelled_deletes_nothing(bot: Application, fake_api: FakeBotApi) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "hello")
    fake_api.send_text(ann, "/forget")
    await replies(fake_api, 7, 2)
    fake_api.press(ann, fake_api.bot_messages(7)[1], "forget:no")
    await fake_api.wait_until(lambda: "Nothing was deleted" in fake_api.bot_texts(7)[1])
    assert (await _rows(bot, 7))["messages"] == 2
