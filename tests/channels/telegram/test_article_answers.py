"""A customer's question answered from a help-centre article through the real bot and the fake
Bot API: the business's sentences, then "From: Article › Section", and a link button to the
article; the stored reply records the passage it came from."""

from __future__ import annotations

from sqlalchemy import select
from telegram.ext import Application

from bot.knowledge.documents.extraction import article_from_markdown
from storage.models import Message
from tests.channels.telegram.conftest import replies, services
from tests.channels.telegram.fake_bot_api import FakeBotApi

URL = "https://help.example.com/tv/remote-control"
ARTICLE = """# Remote control

## Replacing the batteries

Slide the cover on the back of the remote control downwards. Put in two AAA batteries with the
plus sides facing up, then slide the cover back until it clicks.

## Pairing the remote

Point the remote control at the television and hold the Return and Play buttons together for
three seconds until the pairing message appears.
"""


async def test_an_article_answer_carries_its_source_and_a_link_button(
    bot: Application, fake_api: FakeBotApi
) -> None:
    library = services(bot).app.documents
    article = article_from_markdown(ARTICLE, name="remote", url=URL)
    report = await library.add_article(article, source_location="https://help.example.com/")
    assert report.added == 1

    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "How do I replace the batteries of the remote control?")
    [answer] = await replies(fake_api, 7, 1)
    assert "AAA batteries" in answer
    body, _, source = answer.rpartition("\n\n")
    assert "AAA batteries" in body
    assert source == "From: Remote control › Replacing the batteries"
    message = fake_api.bot_messages(7)[0]
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    links = [button for row in rows for button in row if "url" in button]
    assert links == [{"text": "📄 Remote control › Replacing the batteries", "url": URL}]
    async with services(bot).app.session_factory() as db:
        stored = await db.scalar(select(Message).where(Message.role == "assistant"))
    assert stored is not None
    assert stored.faq_ids and str(stored.faq_ids[0]).startswith("passage:")
