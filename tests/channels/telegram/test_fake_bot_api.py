"""The fake Bot API answers like Telegram: checked with PTB's own Bot over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter
from telegram.request import HTTPXRequest

from tests.channels.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.channels.telegram.fake_html import HtmlError, parse_html


@pytest.fixture
async def plain_bot(fake_api: FakeBotApi) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, base_url=fake_api.base_url, request=HTTPXRequest())
    async with bot:
        yield bot


async def test_bad_html_and_long_text_are_400_like_telegram(
    plain_bot: Bot, fake_api: FakeBotApi
) -> None:
    fake_api.user(7)
    with pytest.raises(BadRequest, match="parse entities"):
        await plain_bot.send_message(7, "1 < 2", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="too long"):
        await plain_bot.send_message(7, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await plain_bot.send_message(12345, "hi")
    sent = await plain_bot.send_message(
        7, "<b>1 &lt; 2</b> " + "😀" * 2000, parse_mode=ParseMode.HTML
    )
    assert sent.text.startswith("1 < 2") and sent.entities[0].type == "bold"
    with pytest.raises(BadRequest, match="too long"):
        await plain_bot.send_message(7, "😀" * 2049)  # 4,098 UTF-16 code units


async def test_429_carries_retry_after_and_edits_need_a_change(
    plain_bot: Bot, fake_api: FakeBotApi
) -> None:
    fake_api.user(7)
    fake_api.fail("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await plain_bot.send_message(7, "hi")
    assert "retry in 3 seconds" in str(caught.value).lower()
    sent = await plain_bot.send_message(7, "hi")
    with pytest.raises(BadRequest, match="not modified"):
        await plain_bot.edit_message_text("hi", chat_id=7, message_id=sent.message_id)
    await plain_bot.edit_message_text("hello", chat_id=7, message_id=sent.message_id)
    assert fake_api.bot_texts(7) == ["hello"]


async def test_updates_are_long_polled_and_acknowledged(
    plain_bot: Bot, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7)
    fake_api.send_text(ann, "/start")
    [update] = await plain_bot.get_updates(timeout=1)
    assert update.message.text == "/start" and update.message.entities[0].type == "bot_command"
    assert await plain_bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


def test_html_parser_is_strict_about_tags_and_entities() -> None:
    assert parse_html("<b>a</b> &amp; <i>b</i>")[0] == "a & b"
    for bad in ("<b>a", "a</b>", "<script>x</script>", "AT&T", "<b><i>x</b></i>"):
        with pytest.raises(HtmlError):
            parse_html(bad)
