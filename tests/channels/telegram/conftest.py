"""Fixtures: the fake Bot API server, Settings pointing at it, and the real bot running.

The bot is the real python-telegram-bot Application from ``build_application``, long-polling the
fake server over HTTP, with the real composition root (SQLite file, FAQ catalog from the demo
FAQ, conversation and admin services) and the FakeEngine for generation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from pydantic import SecretStr
from telegram.ext import Application

from bot.app import open_app
from bot.channels.telegram import Tuning, serving
from bot.config import Settings
from bot.engine.fake import FakeEngine
from tests.channels.telegram.fake_bot_api import TOKEN, FakeBotApi

ADMIN_ID = 42
SUPPORT_CHAT = -1001234
FAST = Tuning(
    edit_interval=0.05,
    typing_interval=0.2,
    first_chunk_delay=0.05,
    max_retries=5,
    overdue_check_interval=3600,
)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    api.group(SUPPORT_CHAT, "Acme agents")
    yield api
    await api.stop()


@pytest.fixture
def tg_settings(settings: Settings, fake_api: FakeBotApi) -> Settings:
    return settings.model_copy(
        update={
            "telegram_token": SecretStr(TOKEN),
            "telegram_base_url": fake_api.base_url,
            "admin_ids": [ADMIN_ID],
            "support_chat_id": SUPPORT_CHAT,
            "embedding_model": "none",
            "rate_limit_per_minute": 20,
        }
    )


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def opener(
    tg_settings: Settings, fake_engine: FakeEngine
) -> Callable[[], AbstractAsyncContextManager[Any]]:
    return lambda: open_app(tg_settings, engine=fake_engine)


@pytest.fixture
async def bot(
    tg_settings: Settings, opener: Callable[[], AbstractAsyncContextManager[Any]]
) -> AsyncIterator[Application]:
    async with serving(tg_settings, opener, tuning=FAST) as application:
        yield application
