"""Long polling is single-instance: a second poller on the same database is refused, in one
line, by the real ``supportbot run``; webhook instances do not take the polling slot."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import open_app
from bot.config import PROJECT_ROOT, Settings, UserFacingError
from bot.engine.fake import FakeEngine
from bot.observability.wiring import observed
from bot.scheduler import POLLER_LEASE
from storage.repositories import fleet
from tests.channels.telegram.fake_bot_api import TOKEN, FakeBotApi


async def hold_polling(session_factory: async_sessionmaker[AsyncSession], holder: str) -> None:
    async with session_factory() as s, s.begin():
        assert await fleet.take(
            session=s, name=POLLER_LEASE, holder=holder, ttl=timedelta(minutes=5)
        )


async def test_the_observed_opener_takes_the_slot_and_gives_it_back(
    ops_settings: Settings,
) -> None:
    opener = observed(lambda: open_app(ops_settings, engine=FakeEngine()), ops_settings)
    async with opener() as app:
        async with app.session_factory() as s:
            lease = await fleet.holder_of(session=s, name=POLLER_LEASE)
        assert lease is not None and lease.holder == "test-1"
        other = ops_settings.model_copy(update={"instance_name": "test-2"})
        second = observed(lambda: open_app(other, engine=FakeEngine()), other)
        with pytest.raises(UserFacingError, match="test-1 is already long-polling"):
            async with second():
                pass
    async with open_app(ops_settings, engine=FakeEngine()) as app, app.session_factory() as s:
        assert await fleet.holder_of(session=s, name=POLLER_LEASE) is None  # released


async def test_webhook_instances_leave_the_polling_slot_alone(ops_settings: Settings) -> None:
    webhook = ops_settings.model_copy(
        update={"webhook_url": "https://bot.example.com/hook", "webhook_secret": "s3cret"}
    )
    async with open_app(webhook, engine=FakeEngine()) as app:
        await hold_polling(app.session_factory, "poller:1")
        async with observed(lambda: open_app(webhook, engine=FakeEngine()), webhook)():
            pass  # not refused: webhook instances may be many


async def test_supportbot_run_refuses_a_second_poller_in_one_line(
    ops_settings: Settings, tmp_path: Path
) -> None:
    async with open_app(ops_settings, engine=FakeEngine()) as app:
        await hold_polling(app.session_factory, "host-a:4242")
    api = FakeBotApi()
    await api.start()
    try:
        env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "SUPPORTBOT_DATABASE_URL": ops_settings.database_url,
            "SUPPORTBOT_TELEGRAM_TOKEN": TOKEN,
            "SUPPORTBOT_TELEGRAM_BASE_URL": api.base_url,
            "SUPPORTBOT_EMBEDDING_MODEL": "none",
            "SUPPORTBOT_MODEL": "openai:http://127.0.0.1:9",  # never called: it stops first
            "SUPPORTBOT_MODEL_CACHE_DIR": str(tmp_path / "models"),
            "SUPPORTBOT_LOG_FORMAT": "json",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(process.communicate(), timeout=120)
    finally:
        await api.stop()
    lines = [line for line in err.decode().splitlines() if line.startswith("supportbot:")]
    assert process.returncode == 1, err.decode()[-2000:]
    assert lines == [
        "supportbot: host-a:4242 is already long-polling with this database; long polling is "
        "single-instance: stop it, or run several instances in webhook mode "
        "(SUPPORTBOT_WEBHOOK_URL)"
    ]
    assert "Traceback" not in err.decode()
    logged = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    assert logged and all({"time", "level", "logger", "message"} <= e.keys() for e in logged)
    assert len(logged) + len(lines) == len(err.decode().splitlines())  # nothing else on stderr
    assert not api.sent("getUpdates")  # it never polled
