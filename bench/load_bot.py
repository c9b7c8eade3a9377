"""The bot under ``bench.load``: its own process (what ``supportbot run`` runs, with the
FakeEngine), started, SIGKILLed, restarted and stopped, its peak RSS watched."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bench.load_scoring import peak_rss_mb as rss
from bot.config import PROJECT_ROOT
from tests.channels.telegram.fake_bot_api import TOKEN, FakeBotApi


class BotProcess:
    """The bot in its own process; started, killed, restarted, stopped, its peak RSS watched."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.peak_mb = 0.0

    async def start(self) -> None:
        self.starts += 1
        log = (self.folder / f"bot-{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.channels.telegram.bot_process", env=self.env,
            cwd=self.folder, stdout=log, stderr=log,
        )  # fmt: skip

    def watch(self) -> None:
        if self.process is not None:
            self.peak_mb = max(self.peak_mb, rss(self.process.pid))

    async def kill(self) -> None:
        assert self.process is not None
        self.watch()
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        self.watch()
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 60)
        except TimeoutError:
            self.process.kill()
            return -9


def bot_environment(folder: Path, api: FakeBotApi, faults: bool) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "SUPPORTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'bot.db'}",
        "SUPPORTBOT_TELEGRAM_TOKEN": TOKEN,
        "SUPPORTBOT_TELEGRAM_BASE_URL": api.base_url,
        "SUPPORTBOT_EMBEDDING_MODEL": "none",
        "SUPPORTBOT_MODEL_CACHE_DIR": str(folder / "models"),
        "SUPPORTBOT_RATE_LIMIT_PER_MINUTE": "60",
        "SUPPORTBOT_GENERATION_TIMEOUT_SECONDS": "2",
        "SUPPORTBOT_LOG_LEVEL": "WARNING",
        "SUPPORTBOT_TEST_GENERATION_FAILURES": "0.05" if faults else "0",
    }
