"""A server SIGKILLed mid-reply and started again: the visitor gets the reply exactly once, and
the conversation stored the question and the reply once each."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select

from bot.config import Settings
from storage.db import make_engine, make_session_factory
from storage.models import Message
from tests.channels.webchat.conftest import OTHER_QUESTION, QUESTION, SHOP, read_events
from tests.channels.webchat.processes import free_port, kill_when_holding, process_env, web_process


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
            await kill_when_holding(first)
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
