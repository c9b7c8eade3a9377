"""Fixtures: the fake Bot API server, Settings pointing at it, and the real bot running.

The bot is the real python-telegram-bot Application from ``build_application``, long-polling the
fake server over HTTP, with the real composition root (SQLite file, FAQ catalog from the demo
FAQ, conversation and admin services) and the FakeEngine for generation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from pydantic import SecretStr
from telegram.ext import Application

from bot.app import open_app
from bot.channels.telegram import Tuning, serving
from bot.channels.telegram.services import TelegramServices
from bot.config import Settings
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from bot.engine.fake import FakeEngine
from bot.observability.logs import current_ids
from tests.channels.telegram.fake_bot_api import TOKEN, FakeBotApi

ADMIN_ID = 42
SUPPORT_CHAT = -1001234
FAST = Tuning(
    edit_interval=0.05,
    typing_interval=0.2,
    first_chunk_delay=0.5,
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


Opener = Callable[[], AbstractAsyncContextManager[Any]]


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


def services(application: Application) -> TelegramServices:
    """The services the running bot opened in post_init."""
    services = application.bot_data.services
    assert services is not None, "the bot has not opened its services"
    return services


def thumb(message: dict[str, Any], prefix: str) -> str:
    """The callback data of the message's first button whose data starts with ``prefix``."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return next(
        b["callback_data"]
        for row in rows
        for b in row
        if b.get("callback_data", "").startswith(prefix)
    )


def is_final(message: dict[str, Any]) -> bool:
    """Not a streaming preview (those end with an ellipsis)."""
    return not message.get("text", "").endswith(" …")


async def replies(api: FakeBotApi, chat_id: int, count: int, within: float = 10.0) -> list[str]:
    """Wait until the bot shows ``count`` finished messages in the chat; their texts."""

    def ready() -> list[str] | None:
        found = [m for m in api.bot_messages(chat_id) if is_final(m)]
        return [m["text"] for m in found] if len(found) >= count else None

    return await api.wait_until(ready, within)


async def settled(application: Application, within: float = 10.0) -> None:
    """Wait until every stored update is handled and every reply sent (the inbox is empty)."""
    delivery = services(application).delivery
    deadline = asyncio.get_running_loop().time() + within
    while await delivery.open_count():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"inbox not empty after {within}s")
        await asyncio.sleep(0.02)


class ScriptedConversation:
    """The real ConversationService, except for texts with a script: those stream the pieces
    the test feeds through a queue (``None`` ends the reply), so streaming and ordering can be
    observed step by step without timing assumptions."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.scripts: dict[str, asyncio.Queue[str | None]] = {}
        self.handled: list[str] = []
        self.log_ids: list[dict[str, Any]] = []  # the log ids bound while each text was handled

    def script(self, text: str) -> asyncio.Queue[str | None]:
        return self.scripts.setdefault(text, asyncio.Queue())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def handle(
        self, incoming: Incoming, on_text: Callable[[str], None] | None = None
    ) -> Reply:
        self.log_ids.append(current_ids())
        queue = self.scripts.get(incoming.text)
        if queue is None:
            reply = await self.real.handle(incoming, on_text)
            self.handled.append(incoming.text)
            return reply
        text = ""
        while (piece := await queue.get()) is not None:
            text += piece
            if on_text is not None:
                on_text(piece)
        self.handled.append(incoming.text)
        return Reply(text=text, mode=AnswerMode.GENERATED, language="en", message_id=None)


def with_conversation(opener: Opener, wrap: Callable[[Any], Any], made: list[Any]) -> Opener:
    """``opener`` with the conversation service replaced by ``wrap(real service)``; every
    wrapper made (one per start of the bot) is appended to ``made``."""

    @asynccontextmanager
    async def wrapped() -> AsyncIterator[Any]:
        async with opener() as app:
            app.conversation = wrap(app.conversation)
            made.append(app.conversation)
            yield app

    return wrapped


@pytest.fixture
def scripted() -> list[ScriptedConversation]:
    """Filled with the ScriptedConversation once ``scripted_bot`` has started."""
    return []


@pytest.fixture
async def scripted_bot(
    tg_settings: Settings, opener: Opener, scripted: list[ScriptedConversation]
) -> AsyncIterator[Application]:
    """The bot with the conversation service wrapped in a ScriptedConversation."""
    scripted_opener = with_conversation(opener, ScriptedConversation, scripted)
    tuning = replace(FAST, edit_interval=0.3, first_chunk_delay=0.0)
    async with serving(tg_settings, scripted_opener, tuning=tuning) as application:
        yield application


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """PTB 22 warns about its own RetryAfter.retry_after type change whenever a 429 arrives."""
    ptb_own = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
    for item in items:
        if "channels/telegram" in str(item.path):
            item.add_marker(ptb_own)
