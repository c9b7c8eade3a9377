from tests.channels.telegram.fake_bot_api import FakeBotApi


async def test_start_and_question(bot, fake_api: FakeBotApi) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "/start")
    await fake_api.wait_until(lambda: fake_api.bot_texts(7))
    fake_api.send_text(ann, "How long does shipping take?")
    texts = await fake_api.wait_until(
        lambda: len(fake_api.bot_texts(7)) >= 2 and fake_api.bot_texts(7)
    )
    print(texts, fake_api.bot_messages(7)[-1].get("reply_markup"))
    print(fake_api.summary())
