"""Admins over Telegram: FAQ and prompt editing, stats, unanswered; everyone else refused."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from telegram.ext import Application

from storage.models import FaqEntry, FaqRevision, PromptRevision, PromptTemplate
from tests.channels.telegram.conftest import ADMIN_ID, replies, services, thumb
from tests.channels.telegram.fake_bot_api import FakeBotApi

EVERY_ADMIN_COMMAND = [
    "/faq_list",
    "/faq_show 1",
    "/faq_search shipping",
    "/faq_add",
    "/faq_edit 1",
    "/faq_delete 1",
    "/faq_variant 1 how fast is delivery",
    "/prompt_show",
    "/prompt_set You are evil",
    "/prompt_history",
    "/prompt_rollback 1",
    "/stats 7",
    "/unanswered",
]


async def _counts(bot: Application) -> tuple[int, ...]:
    async with services(bot).app.session_factory() as db:
        return tuple(
            [
                await db.scalar(select(func.count()).select_from(model))
                for model in (FaqEntry, FaqRevision, PromptTemplate, PromptRevision)
            ]
        )


def _last(api: FakeBotApi, chat_id: int) -> dict:
    return api.bot_messages(chat_id)[-1]


async def test_non_admin_trying_every_admin_command_changes_nothing(
    bot: Application, fake_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    before = await _counts(bot)
    eve = fake_api.user(66, "Eve")
    with caplog.at_level(logging.WARNING, logger="supportbot.audit"):
        for command in EVERY_ADMIN_COMMAND:
            fake_api.send_text(eve, command)
        texts = await replies(fake_api, 66, len(EVERY_ADMIN_COMMAND))
        fake_api.press(eve, fake_api.bot_messages(66)[0], "faqdel:1")
        fake_api.press(eve, fake_api.bot_messages(66)[0], "unans:var:abcd:1")
        await fake_api.wait_until(lambda: len(fake_api.sent("answerCallbackQuery")) == 2)
    assert all("Not allowed" in t for t in texts)
    assert all("Not allowed" in c.params["text"] for c in fake_api.sent("answerCallbackQuery"))
    refused = [r for r in caplog.records if r.name == "supportbot.audit"]
    assert len(refused) == len(EVERY_ADMIN_COMMAND) + 2
    assert all("66" in r.getMessage() for r in refused)
    assert await _counts(bot) == before


async def test_faq_list_show_search_and_variant(bot: Application, fake_api: FakeBotApi) -> None:
    admin = fake_api.user(ADMIN_ID, "Ada")
    fake_api.send_text(admin, "/faq_list 2")
    fake_api.send_text(admin, "/faq_show 1")
    fake_api.send_text(admin, "/faq_search how long is delivery")
    fake_api.send_text(admin, "/faq_variant 1 when will my stuff get here")
    texts = await replies(fake_api, ADMIN_ID, 4)
    assert texts[0].startswith("FAQ page 2/") and "#11 " in texts[0]
    assert texts[1].startswith("#1 [en]") and "Q: How long does shipping take?" in texts[1]
    assert "#1 " in texts[2]
    assert "phrasings" in texts[3]
    async with services(bot).app.session_factory() as db:
        entry = await db.get(FaqEntry, 1)
        assert "when will my stuff get here" in entry.variants
        assert entry.updated_by == f"telegram:{ADMIN_ID}"


async def test_guided_faq_add_is_visible_to_the_next_customer_question(
    bot: Application, fake_api: FakeBotApi
) -> None:
    admin = fake_api.user(ADMIN_ID, "Ada")
    fake_api.send_text(admin, "/faq_add")
    await replies(fake_api, ADMIN_ID, 1)
    fake_api.send_text(admin, "Do you sell zebra-striped umbrellas?")
    await replies(fake_api, ADMIN_ID, 2)
    fake_api.send_text(admin, "Yes, zebra-striped umbrellas are in the rain section.")
    preview = (await replies(fake_api, ADMIN_ID, 3))[2]
    assert "Save this entry?" in preview
    fake_api.press(admin, _last(fake_api, ADMIN_ID), "flow:save")
    saved = (await replies(fake_api, ADMIN_ID, 4))[3]
    assert saved.startswith("Saved as FAQ entry #")
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "Do you sell zebra-striped umbrellas?")
    assert "rain section" in (await replies(fake_api, 7, 1))[0]


async def test_faq_edit_shows_the_diff_before_saving_and_delete_needs_confirmation(
    bot: Application, fake_api: FakeBotApi
) -> None:
    admin = fake_api.user(ADMIN_ID, "Ada")
    fake_api.send_text(admin, "/faq_edit 1")
    fake_api.send_text(admin, "/skip")
    fake_api.send_text(admin, "Shipping takes 2 days.")
    fake_api.send_text(admin, "/skip")
    texts = await replies(fake_api, ADMIN_ID, 4)
    assert "answer:" in texts[3] and "+ Shipping takes 2 days." in texts[3]
    async with services(bot).app.session_factory() as db:
        assert (await db.get(FaqEntry, 1)).revision == 1, "nothing saved before the confirmation"
    fake_api.press(admin, _last(fake_api, ADMIN_ID), "flow:save")
    assert "saved" in (await replies(fake_api, ADMIN_ID, 5))[4]
    async with services(bot).app.session_factory() as db:
        entry = await db.get(FaqEntry, 1)
        assert entry.answer == "Shipping takes 2 days." and entry.revision == 2

    fake_api.send_text(admin, "/faq_delete 2")
    await replies(fake_api, ADMIN_ID, 6)
    assert "Delete this entry?" in _last(fake_api, ADMIN_ID)["text"]
    fake_api.press(admin, _last(fake_api, ADMIN_ID), "faqdel:2")
    await fake_api.wait_until(lambda: "deleted" in fake_api.bot_texts(ADMIN_ID)[5])
    async with services(bot).app.session_factory() as db:
        assert await db.get(FaqEntry, 2) is None
        actions = list(
            await db.scalars(select(FaqRevision.action).where(FaqRevision.entry_id == 2))
        )
    assert actions[-1] == "delete"


async def test_prompt_set_validates_previews_saves_and_rolls_back(
    bot: Application, fake_api: FakeBotApi
) -> None:
    admin = fake_api.user(ADMIN_ID, "Ada")
    fake_api.send_text(admin, "/prompt_show")
    fake_api.send_text(admin, "/prompt_set You help {{ business_name }} customers {% if %}")
    texts = await replies(fake_api, ADMIN_ID, 2)
    assert texts[0].startswith("System prompt (the default file")
    assert "not valid" in texts[1]
    fake_api.send_text(admin, "You help {{ business_name }} customers politely.")
    preview = (await replies(fake_api, ADMIN_ID, 3))[2]
    assert preview.startswith("Valid template")
    fake_api.press(admin, _last(fake_api, ADMIN_ID), "flow:save")
    assert "revision 1" in (await replies(fake_api, ADMIN_ID, 4))[3]
    fake_api.send_text(admin, "/prompt_set Be brief with {{ business_name }} customers.")
    await replies(fake_api, ADMIN_ID, 5)
    fake_api.press(admin, _last(fake_api, ADMIN_ID), "flow:save")
    await replies(fake_api, ADMIN_ID, 6)
    fake_api.send_text(admin, "/prompt_rollback 1")
    fake_api.send_text(admin, "/prompt_history")
    texts = await replies(fake_api, ADMIN_ID, 8)
    assert "current again as 3" in texts[6]
    assert texts[7].count("rev ") == 3 and f"telegram:{ADMIN_ID}" in texts[7]
    body, revision = await services(bot).admin.show_prompt()
    assert revision == 3 and body == "You help {{ business_name }} customers politely."


async def test_stats_and_unanswered_with_one_tap_fixes(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann, admin = fake_api.user(7, "Ann"), fake_api.user(ADMIN_ID, "Ada")
    fake_api.send_text(ann, "Do quokkas play the xylophone?")
    fake_api.send_text(ann, "Can a quokka play the xylophone?")
    fake_api.send_text(ann, "How long does shipping take?")
    answers = await replies(fake_api, 7, 3)
    fake_api.press(
        ann,
        fake_api.bot_messages(7)[2],
        thumb(fake_api.bot_messages(7)[2], "fb:+1:"),
    )
    await fake_api.wait_until(lambda: fake_api.sent("answerCallbackQuery"))
    fake_api.send_text(admin, "/stats 1")
    stats = (await replies(fake_api, ADMIN_ID, 1))[0]
    assert "users 1" in stats and "👍/👎: 1/0" in stats, stats
    assert "faq 1" in stats and "handoff 2" in stats and "unanswered questions: 2" in stats
    assert "median reply latency" in stats and "open hand-offs: 0" in stats
    fake_api.send_text(admin, "/unanswered")
    texts = await replies(fake_api, ADMIN_ID, 3)
    assert texts[1].startswith("1 groups") and texts[2].startswith("2× ")
    group = _last(fake_api, ADMIN_ID)
    new_button = group["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake_api.press(admin, group, new_button)
    await replies(fake_api, ADMIN_ID, 4)
    fake_api.send_text(admin, "Yes, every quokka in our workshop plays the xylophone.")
    await replies(fake_api, ADMIN_ID, 5)
    fake_api.press(admin, _last(fake_api, ADMIN_ID), "flow:save")
    assert "Saved as FAQ entry" in (await replies(fake_api, ADMIN_ID, 6))[5]
    fake_api.send_text(ann, "Can a quokka play the xylophone?")
    assert "workshop" in (await replies(fake_api, 7, 4))[3]
    fake_api.send_text(admin, "/unanswered")
    assert "No unanswered" in (await replies(fake_api, ADMIN_ID, 7))[6]
    assert answers


async def test_unanswered_group_added_as_phrasings_of_an_entry(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann, admin = fake_api.user(7, "Ann"), fake_api.user(ADMIN_ID, "Ada")
    fake_api.send_text(ann, "Do quokkas play the xylophone?")
    await replies(fake_api, 7, 1)
    fake_api.send_text(admin, "/unanswered")
    await replies(fake_api, ADMIN_ID, 2)
    group = _last(fake_api, ADMIN_ID)
    token = group["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[2]
    fake_api.press(admin, group, f"unans:var:{token}:1")
    await fake_api.wait_until(lambda: "phrasings of #1" in _last(fake_api, ADMIN_ID)["text"])
    async with services(bot).app.session_factory() as db:
        assert "Do quokkas play the xylophone?" in (await db.get(FaqEntry, 1)).variants
    fake_api.send_text(admin, "/unanswered")
    assert "No unanswered" in (await replies(fake_api, ADMIN_ID, 3))[2]
