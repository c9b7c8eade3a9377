"""Focused answers and "did you mean…" over the real Bot API protocol (buttons pressed).

The bot here ranks lexically (``embedding_model: none``), so the replies below are fixed by
the demo FAQ's words: "account" matches two entries equally ("did you mean"), and "How long
does international delivery take?" is answered by one sentence of the international entry.
"""

from __future__ import annotations

from sqlalchemy import select
from telegram.ext import Application

from storage.models import AnswerChoice, Message
from tests.channels.telegram.conftest import replies, services
from tests.channels.telegram.fake_bot_api import FakeBotApi


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def labels(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("text", "") for row in markup.get("inline_keyboard", []) for b in row]


async def test_did_you_mean_buttons_send_the_picked_entry_and_admins_see_the_pick(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "account")
    [question] = await replies(fake_api, 7, 1)
    assert "Did you mean" in question
    offer = fake_api.bot_messages(7)[0]
    picks = [b for b in buttons(offer) if b.startswith("pick:")]
    assert len(picks) == 2
    chosen = next(
        data
        for data, label in zip(buttons(offer), labels(offer), strict=True)
        if label.startswith("Do I need an account")
    )
    fake_api.press(ann, offer, chosen)
    texts = await replies(fake_api, 7, 2)
    assert texts[1].startswith("No, you can check out as a guest")
    assert fake_api.sent("answerCallbackQuery")
    entry_id = int(chosen.rsplit(":", 1)[1])
    app = services(bot).app
    async with app.session_factory() as db:
        pick = await db.scalar(select(AnswerChoice))
        assert pick is not None and pick.faq_entry_id == entry_id
        assert sorted(pick.offered) == sorted(int(p.rsplit(":", 1)[1]) for p in picks)
        asked = await db.get(Message, pick.message_id)
        assert asked is not None and asked.text == "account"
    groups = await app.admin.unanswered()
    [group] = [g for g in groups if "account" in g.texts]
    assert group.suggested_entry == entry_id and group.picks == 1


async def test_focused_answer_leads_with_its_sentence_and_more_sends_the_rest(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(8, "Ben")
    fake_api.send_text(ann, "How long does international delivery take?")
    [answer] = await replies(fake_api, 8, 1)
    assert "7-14 business days" in answer
    assert "Import duties" not in answer
    message = fake_api.bot_messages(8)[0]
    more = [b for b in buttons(message) if b.startswith("more:")]
    assert more, buttons(message)
    assert any(b.startswith("fb:+1:") for b in buttons(message))
    fake_api.press(ann, message, more[0])
    texts = await replies(fake_api, 8, 2)
    assert "Import duties and taxes are charged" in texts[1]
    assert "7-14 business days" not in texts[1]
