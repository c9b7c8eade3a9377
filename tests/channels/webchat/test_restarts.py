"""A server SIGKILLed mid-reply and started again: the visitor gets the reply exactly once, and
the conversation stored the question and the reply once each."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.config import Settings
from storage.db import make_engine, make_session_factory
from storage.models import Message
from tests.channels.webchat.conftest import OTHER_QUESTION, QUESTION, SHOP, read_events

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


async def test_a_reply_killed_before_it_was_sent_arrives_once(
    web_settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = process_env(web_settings, port, tmp_path)
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        async with web_process(env | {"SUPPORTBOT_TEST_HOLD_AFTER": QUESTION}) as first:
            token = (await client.post("/api/visitor", json={}, headers={"origin": SHOP})).json()[
                "token"
            ]
            auth = {"origin": SHOP, "authorization": f"Bearer {token}"}
            body = {"id": "q1", "kind": "text", "text": QUESTION}
            assert (await client.post("/api/messages", json=body, headers=auth)).status_code == 202
            assert first.stdout is not None
            held = await asyncio.wait_for(first.stdout.readline(), 20)
            assert held.strip() == b"holding"  # answered and stored, not yet in the outbox
            first.send_signal(signal.SIGKILL)
            await first.wait()
        async with web_process(env):
            events = await read_events(client, token, 1, after=0)
            assert [(e["cid"], e["type"]) for e in events] == [("q1", "answer")]
            body = {"id": "q2", "kind": "text", "text": OTHER_QUESTION}
            await client.post("/api/messages", json=body, headers=auth)
            later = await read_events(client, token, 1, last_event_id=events[0]["id"])
            assert [e["cid"] for e in later] == ["q2"]
            everything = await read_events(client, token, 3, after=0, within=1)
            assert [e["cid"] for e in everything] == ["q1", "q2"]  # the reply once
    engine = make_engine(web_settings.database_url)
    try:
        async with make_session_factory(engine)() as s:
            rows = list(await s.scalars(select(Message.role).where(Message.text == QUESTION)))
            replies = list(await s.scalars(select(Message.text).where(Message.role == "assistant")))
    finally:
        await engine.dispose()
    assert rows == ["user"]  # stored once, though it was handled twice
    assert len(replies) == 2 and replies[0] == events[0]["text"]
