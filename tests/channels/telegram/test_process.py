"""The real entry point in its own process: ``run`` with PTB's run_polling, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from tests.channels.telegram.conftest import replies
from tests.channels.telegram.fake_bot_api import FakeBotApi

SCRIPT = """
    import contextlib, sys
    from bot.app import open_app
    from bot.channels.telegram import run
    from bot.config import load_settings
    from bot.engine.fake import FakeEngine

    settings = load_settings()

    @contextlib.asynccontextmanager
    async def opener():
        async with open_app(settings, engine=FakeEngine()) as app:
            print("opened", flush=True)
            yield app
        print("closed", flush=True)

    run(settings, opener)
    print("exited", flush=True)
"""


async def test_run_answers_over_long_polling_and_stops_cleanly_on_sigterm(
    tg_settings: Settings, fake_api: FakeBotApi, tmp_path: Path
) -> None:
    script = tmp_path / "run_bot.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "SUPPORTBOT_DATABASE_URL": tg_settings.database_url,
        "SUPPORTBOT_TELEGRAM_TOKEN": tg_settings.telegram_token.get_secret_value(),  # type: ignore[union-attr]
        "SUPPORTBOT_TELEGRAM_BASE_URL": fake_api.base_url,
        "SUPPORTBOT_EMBEDDING_MODEL": "none",
        "SUPPORTBOT_MODEL_CACHE_DIR": str(tmp_path / "models"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await fake_api.wait_until(lambda: fake_api.sent("deleteWebhook"), within=60)
        ann = fake_api.user(7, "Ann")
        fake_api.send_text(ann, "How long does shipping take?")
        assert "3-5 business days" in (await replies(fake_api, 7, 1, within=30))[0]
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    lines = output.decode().splitlines()
    assert process.returncode == 0, output.decode()[-2000:]
    assert [x for x in lines if x in ("opened", "closed", "exited")] == [
        "opened",
        "closed",
        "exited",
    ]


def test_unreachable_bot_api_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    from tests.test_cli import run_cli

    with socket.socket() as probe:  # a port on this machine that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli(
        "run",
        env={
            "SUPPORTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.db",
            "SUPPORTBOT_TELEGRAM_TOKEN": "123456:TEST-token",
            "SUPPORTBOT_TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
        },
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("supportbot: cannot reach the Bot API at http://127.0.0.1:")
