"""Focused answers and "did you mean…" over the real Bot API protocol (buttons pressed).

The bot ranks lexically here (``embedding_model: none``) and the test shop's entries
(``tests.conversation.shop_faq``) are added to the demo FAQ, so the replies are fixed by their
made-up product names: "zorblax speaker" matches two entries equally ("did you mean"), and
"are Quibbit returns free?" is answered by one sentence of the Quibbit returns entry.
"""

from __future__ import annotations

from sqlalchemy import select
from telegram.ext import Application

from storage.models import AnswerChoice, Message
from tests.channels.telegram.conftest import replies, services
from tests.channels.telegram.fake_bot_api import FakeBotApi
from tests.conversation.shop_faq import SHOP_FAQ


async def add_shop_faq(bot: Application) -> None:
    await services(bot).app.catalog.import_records(SHOP_FAQ, author="test")


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def labels(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("text", "") for row in markup.get("inline_keyboard", []) for b in row]


async def test_did_you_mean_buttons_send_the_picked_entry_and_admins_see_the_pick(
    bot: Application, fake_api: FakeBotApi
) -> None:
    await add_shop_faq(bot)
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "zorblax speaker")
    [question] = await replies(fake_api, 7, 1)
    assert "Did you mean" in question
    offer = fake_api.bot_messages(7)[0]
    picks = [b for b in buttons(offer) if b.startswith("pick:")]
    assert len(picks) == 2
    chosen = next(
        data
        for data, label in zip(buttons(offer), labels(offer), strict=True)
        if label.startswith("How do I reset the Zorblax")
    )
    fake_api.press(ann, offer, chosen)
    texts = await replies(fake_api, 7, 2)
    assert texts[1].startswith("Hold the Zorblax button and the volume key")
    assert fake_api.sent("answerCallbackQuery")
    entry_id = int(chosen.rsplit(":", 1)[1])
    app = services(bot).app
    async with app.session_factory() as db:
        pick = await db.scalar(select(AnswerChoice))
        assert pick is not None and pick.faq_entry_id == entry_id
        assert sorted(pick.offered) == sorted(int(p.rsplit(":", 1)[1]) for p in picks)
        asked = await db.get(Message, pick.message_id)
        assert asked is not None and asked.text == "zorblax speaker"
    groups = await app.admin.unanswered()
    [group] = [g for g in groups if "zorblax speaker" in g.texts]
    assert group.suggested_entry == entry_id and group.picks == 1


async def test_focused_answer_leads_with_its_sentence_and_more_sends_the_rest(
    bot: Application, fake_api: FakeBotApi
) -> None:
    await add_shop_faq(bot)
    ann = fake_api.user(8, "Ben")
    fake_api.send_text(ann, "are Quibbit returns free?")
    [answer] = await replies(fake_api, 8, 1)
    assert answer.startswith("Returns within the country are free")
    assert "broken seal" not in answer
    message = fake_api.bot_messages(8)[0]
    more = [b for b in buttons(message) if b.startswith("more:")]
    assert more, buttons(message)
    assert any(b.startswith("fb:+1:") for b in buttons(message))
    fake_api.press(ann, message, more[0])
    texts = await replies(fake_api, 8, 2)
    assert "broken seal cannot be returned" in texts[1]
    assert "Returns within the country are free" not in texts[1]
