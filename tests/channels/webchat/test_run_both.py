"""``supportbot run`` with both a Telegram token (the fake Bot API) and a widget port: one
process answers a Telegram customer and a web visitor, and a web visitor's hand-off reaches
the Telegram support group, where an agent's reply goes back to the visitor's open stream."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from tests.channels.telegram.conftest import SUPPORT_CHAT, replies
from tests.channels.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.channels.webchat.conftest import QUESTION, SHOP, read_events
from tests.channels.webchat.processes import ROOT, START_SECONDS, free_port, process_env

AGENT_TEXT = "Sorry for the wait: your parcel leaves today."


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    api.group(SUPPORT_CHAT, "Acme agents")
    yield api
    await api.stop()


async def serving(client: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    """Wait until the process's web chat answers (it prints nothing when it is up)."""
    deadline = asyncio.get_running_loop().time() + START_SECONDS
    while True:
        assert process.returncode is None, "supportbot run exited"
        try:
            if (await client.get("/widget.js")).status_code == 200:
                return
        except httpx.TransportError:
            assert asyncio.get_running_loop().time() < deadline, "the web chat never served"
            await asyncio.sleep(0.1)


async def test_run_serves_telegram_and_the_web_chat_in_one_process(
    web_settings: Settings, bot_api: FakeBotApi, tmp_path: Path
) -> None:
    port = free_port()
    env = process_env(web_settings, port, tmp_path) | {
        "SUPPORTBOT_TELEGRAM_TOKEN": TOKEN,
        "SUPPORTBOT_TELEGRAM_BASE_URL": bot_api.base_url,
        "SUPPORTBOT_SUPPORT_CHAT_ID": str(SUPPORT_CHAT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.channels.webchat.run_process", cwd=ROOT, env=env
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            await serving(client, process)
            ann = bot_api.user(7, "Ann")
            bot_api.send_text(ann, QUESTION)  # a Telegram customer
            token = (await client.post("/api/visitor", json={}, headers={"origin": SHOP})).json()[
                "token"
            ]
            auth = {"origin": SHOP, "authorization": f"Bearer {token}"}
            body = {"id": "q1", "kind": "text", "text": QUESTION}  # and a web visitor
            assert (await client.post("/api/messages", json=body, headers=auth)).status_code == 202
            [answer] = await read_events(client, token, 1, within=30)
            assert answer["type"] == "answer" and "business days" in answer["text"]
            assert "business days" in (await replies(bot_api, 7, 1, within=30))[0]
            await _web_handoff_in_telegram(client, auth, token, answer["id"], bot_api)
    finally:
        process.kill()
        await process.wait()


async def _web_handoff_in_telegram(
    client: httpx.AsyncClient, auth: dict[str, str], token: str, after: int, bot_api: FakeBotApi
) -> None:
    """The visitor asks for a person: a ticket in the support group, their next message
    relayed under it; an agent replies there and the visitor's stream shows it live."""
    body = {"id": "h1", "kind": "human", "lang": "en"}
    assert (await client.post("/api/messages", json=body, headers=auth)).status_code == 202
    [started] = await read_events(client, token, 1, after=after)
    assert started["with_human"] is True
    [ticket] = await replies(bot_api, SUPPORT_CHAT, 1)
    assert "Ticket #" in ticket and "How long does shipping take?" in ticket
    body = {"id": "q2", "kind": "text", "text": "Where is my parcel?"}
    assert (await client.post("/api/messages", json=body, headers=auth)).status_code == 202
    [received] = await read_events(client, token, 1, after=started["id"])
    assert received["type"] == "received"
    relayed = bot_api.bot_messages(SUPPORT_CHAT)[-1]  # stored as relayed before the event
    assert relayed["text"].endswith("Where is my parcel?")
    assert (
        relayed["reply_to_message"]["message_id"]
        == bot_api.bot_messages(SUPPORT_CHAT)[0]["message_id"]
    )
    listening = asyncio.create_task(read_events(client, token, 2, after=received["id"]))
    sam = bot_api.user(900, "Sam")
    bot_api.send_text(sam, AGENT_TEXT, chat_id=SUPPORT_CHAT, reply_to=relayed)
    live = await listening
    assert [e["type"] for e in live] == ["agent", "agent"]
    assert "Sam" in live[0]["text"] and live[1]["text"] == AGENT_TEXT
