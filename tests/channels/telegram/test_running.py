"""Running the bot: menus at start, webhook mode with its secret, clean shutdown."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pydantic import SecretStr
from telegram.ext import Application

from bot.channels.telegram import serving
from bot.config import Settings
from tests.channels.telegram.conftest import (
    ADMIN_ID,
    FAST,
    SUPPORT_CHAT,
    Opener,
    ScriptedConversation,
    replies,
)
from tests.channels.telegram.fake_bot_api import FakeBotApi


async def test_command_menus_for_customers_in_each_language_admins_and_agents(
    bot: Application, fake_api: FakeBotApi
) -> None:
    menus = fake_api.commands
    default_en = menus["{'type': 'default'}|"]
    default_zh = menus["{'type': 'default'}|zh"]
    assert [c["command"] for c in default_en] == [
        "start",
        "help",
        "reset",
        "human",
        "language",
        "forget",
    ]
    assert default_zh[3]["description"] == "联系人工客服"
    admin = menus[f"{{'chat_id': {ADMIN_ID}, 'type': 'chat'}}|"]
    assert {"faq_add", "prompt_set", "stats", "unanswered", "start"} <= {
        c["command"] for c in admin
    }
    agents = menus[f"{{'chat_id': {SUPPORT_CHAT}, 'type': 'chat'}}|"]
    assert [c["command"] for c in agents] == ["reply", "done"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_checks_the_secret_on_every_request(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    port = _free_port()
    settings = tg_settings.model_copy(
        update={
            "webhook_url": "https://bot.example.com/tg/hook",
            "webhook_listen": "127.0.0.1",
            "webhook_port": port,
            "webhook_secret": SecretStr("s3cret-token"),
        }
    )
    ann = fake_api.user(7, "Ann")
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": fake_api.chats[7],
            "from": ann,
            "text": "How long does shipping take?",
        },
    }
    async with serving(settings, opener, tuning=FAST, webhook=True):
        assert fake_api.webhook["url"] == "https://bot.example.com/tg/hook"
        assert fake_api.webhook["secret_token"] == "s3cret-token"
        url = f"http://127.0.0.1:{port}/tg/hook"
        async with httpx.AsyncClient() as client:
            wrong = await client.post(
                url,
                content=json.dumps(update),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": "guess",
                },
            )
            assert wrong.status_code == 403
            right = await client.post(
                url,
                content=json.dumps(update),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": "s3cret-token",
                },
            )
            assert right.status_code == 200
        assert "3-5 business days" in (await replies(fake_api, 7, 1))[0]
    assert len(fake_api.bot_texts(7)) == 1, "the refused request was never answered"


async def test_a_self_hosted_bot_api_gets_a_plain_http_webhook_on_a_local_address(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    # Issue 20, item 9: a local `telegram-bot-api --local` server calls http:// URLs on any
    # address and port (the fake Bot API plays it: SUPPORTBOT_TELEGRAM_BASE_URL is local).
    port = _free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    settings = Settings.model_validate(
        {
            **tg_settings.model_dump(),
            "webhook_url": url,
            "webhook_listen": "127.0.0.1",
            "webhook_port": port,
            "webhook_secret": SecretStr("s3cret-token"),
        }
    )
    ann = fake_api.user(7, "Ann")
    async with serving(settings, opener, tuning=FAST, webhook=True):
        assert fake_api.webhook["url"] == url
        fake_api.send_text(ann, "How long does shipping take?")
        update = fake_api.pushed[-1]
        async with httpx.AsyncClient() as client:
            posted = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            )
        assert posted.status_code == 200
        assert "3-5 business days" in (await replies(fake_api, 7, 1))[0]


async def test_shutdown_lets_an_answer_in_progress_finish_and_closes_services(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    opened: list[Any] = []
    closed: list[Any] = []

    @asynccontextmanager
    async def tracking_opener() -> AsyncIterator[Any]:
        async with opener() as app:
            app.conversation = ScriptedConversation(app.conversation)
            opened.append(app)
            yield app
        closed.append(app)

    ann = fake_api.user(7, "Ann")
    running = serving(tg_settings, tracking_opener, tuning=FAST)
    application = await running.__aenter__()
    assert application.bot_data.services.app is opened[0]
    pieces = opened[0].conversation.script("long question")
    fake_api.send_text(ann, "long question")
    await fake_api.wait_until(lambda: fake_api.sent("sendChatAction", 7))
    stopping = asyncio.create_task(running.__aexit__(None, None, None))
    done, _ = await asyncio.wait({stopping}, timeout=0.5)
    assert not done, "shutdown waits for the answer in progress"
    pieces.put_nowait("Here is the whole answer.")
    pieces.put_nowait(None)
    await stopping
    assert fake_api.bot_texts(7) == ["Here is the whole answer."]
    assert closed == opened, "post_shutdown closed what post_init opened"


async def test_language_choice_survives_a_restart(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann", "en")
    async with serving(tg_settings, opener, tuning=FAST):
        fake_api.send_text(ann, "/language")
        await replies(fake_api, 7, 1)
        fake_api.press(ann, fake_api.bot_messages(7)[0], "lang:zh")
        await fake_api.wait_until(lambda: "中文" in fake_api.bot_texts(7)[0])
    async with serving(tg_settings, opener, tuning=FAST):
        fake_api.send_text(ann, "/help")
        assert "直接输入" in (await replies(fake_api, 7, 2))[1]
