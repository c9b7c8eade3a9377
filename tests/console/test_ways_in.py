"""The ways to the console: ``supportbot console-link``, ``/console`` in the admin's private
Telegram chat (real python-telegram-bot against the fake Bot API), and the console served
beside the bot by ``supportbot run``, over the bot's own services."""

from __future__ import annotations

import asyncio
import gc
import re
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bot.admin.console_logins import ConsoleLogins
from bot.app import open_app, open_database
from bot.channels.telegram.runner import serving
from bot.cli import main
from bot.commands.console_cmd import with_console
from bot.config import Settings
from bot.engine.fake import FakeEngine
from bot.knowledge.ranking.index import FaqIndex
from tests.channels.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.console.conftest import ADMIN

LINK = re.compile(r"http://127\.0\.0\.1:8099/login/(\S+)")


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("SUPPORTBOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SUPPORTBOT_ADMIN_IDS", ",".join(map(str, settings.admin_ids)))
    monkeypatch.setenv("SUPPORTBOT_CONSOLE_SECRET_FILE", str(settings.console_secret_file))
    monkeypatch.setenv("SUPPORTBOT_CONSOLE_PORT", str(settings.console_port))


async def _redeem(settings: Settings, token: str) -> int:
    async with open_database(settings) as (_, factory):
        return await ConsoleLogins.from_settings(settings, factory).redeem(token)


def test_console_link_prints_a_one_time_url(
    console_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _env(monkeypatch, console_settings)
    assert main(["console-link", str(ADMIN)]) == 0
    match = LINK.search(capsys.readouterr().out)
    assert match is not None
    assert asyncio.run(_redeem(console_settings, match.group(1))) == ADMIN
    assert main(["console-link", "999"]) == 2
    assert "not in SUPPORTBOT_ADMIN_IDS" in capsys.readouterr().err


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.stop()


async def test_console_command_in_the_admins_private_chat(
    console_settings: Settings, fake_api: FakeBotApi
) -> None:
    settings = console_settings.model_copy(
        update={"telegram_token": SecretStr(TOKEN), "telegram_base_url": fake_api.base_url}
    )
    admin = fake_api.user(ADMIN, "Ada")
    stranger = fake_api.user(4242, "Eve")
    group = fake_api.group(-100, "Team")
    opener = lambda: open_app(settings, engine=FakeEngine())  # noqa: E731
    async with serving(settings, opener):
        fake_api.send_text(admin, "/console")
        text = await fake_api.wait_until(
            lambda: next((t for t in fake_api.bot_texts(ADMIN) if "/login/" in t), None), 15
        )
        match = LINK.search(text)
        assert match is not None and "works once" in text
        fake_api.send_text(admin, "/console", chat_id=group["id"])
        await fake_api.wait_until(
            lambda: any("private chat" in t for t in fake_api.bot_texts(group["id"])), 15
        )
        fake_api.send_text(stranger, "/console")
        await fake_api.wait_until(
            lambda: any("Not allowed" in t for t in fake_api.bot_texts(4242)), 15
        )
        assert not any("/login/" in t for t in fake_api.bot_texts(4242))
    assert await _redeem(settings, match.group(1)) == ADMIN


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _live_indexes() -> set[int]:
    gc.collect()
    return {id(thing) for thing in gc.get_objects() if isinstance(thing, FaqIndex)}


async def test_console_served_beside_the_bot_over_its_own_services(
    console_settings: Settings,
) -> None:
    """``supportbot run`` serves the console over the bot's ``App``: one FAQ index (and one set
    of encoders) in the process, not a second app opened for the console (issue 18)."""
    port = _free_port()
    settings = console_settings.model_copy(update={"console_port": port})
    before = _live_indexes()
    opener = with_console(lambda: open_app(settings, engine=FakeEngine()), settings)
    async with opener() as app, httpx.AsyncClient() as client:
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            try:
                response = await client.get(f"http://127.0.0.1:{port}/faq")
                break
            except httpx.TransportError:
                assert asyncio.get_running_loop().time() < deadline, "console did not start"
                await asyncio.sleep(0.05)
        assert response.status_code == 401 and "Please sign in" in response.text
        assert _live_indexes() - before == {id(app.catalog.index)}
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.TransportError):  # it stopped with the bot's services
            await client.get(f"http://127.0.0.1:{port}/faq")
