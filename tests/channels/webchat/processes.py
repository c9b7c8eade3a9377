"""The web chat run in a process of its own (``tests.channels.webchat.web_process``), for tests
that SIGKILL it and start it again: a free port, the process's environment, and the process
itself once it serves."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config import Settings
from tests.channels.webchat.conftest import SHOP

ROOT = Path(__file__).resolve().parents[3]
START_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_env(settings: Settings, port: int, tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    return env | {
        "SUPPORTBOT_DATABASE_URL": settings.database_url,
        "SUPPORTBOT_EMBEDDING_MODEL": "none",
        "SUPPORTBOT_MODEL_CACHE_DIR": str(tmp / "models"),
        "SUPPORTBOT_WIDGET_PORT": str(port),
        "SUPPORTBOT_WIDGET_ORIGINS": SHOP,
        "SUPPORTBOT_WIDGET_SECRET_FILE": str(tmp / "widget.key"),
        "SUPPORTBOT_INSTANCE_NAME": "web-1",
        **extra,
    }


@asynccontextmanager
async def web_process(env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """The web chat process, once it serves; SIGKILLed at the end if still running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.channels.webchat.web_process",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_SECONDS)
        assert line.startswith(b"port "), line
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()


async def kill_when_holding(process: asyncio.subprocess.Process) -> None:
    """Wait until the process holds a stored reply back (``holding``), then SIGKILL it."""
    assert process.stdout is not None
    held = await asyncio.wait_for(process.stdout.readline(), 20)
    assert held.strip() == b"holding"  # answered and stored, not yet in the outbox
    process.send_signal(signal.SIGKILL)
    await process.wait()
