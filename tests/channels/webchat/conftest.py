"""Web chat fixtures: the real app (demo FAQ, FakeEngine) over a real SQLite file, the web chat
served by uvicorn on 127.0.0.1, and a small server-sent-events reader for httpx."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.app import App, open_app
from bot.channels.webchat import WebChat, serving_webchat
from bot.config import Settings
from bot.engine.fake import FakeEngine

SHOP = "http://shop.test"
IDENTITY_SECRET = "s" * 40
QUESTION = "How long does shipping take?"
OTHER_QUESTION = "Which payment methods do you accept?"


@pytest.fixture
def web_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "embedding_model": "none",
            "widget_port": 0,
            "widget_origins": [SHOP],
            "widget_secret_file": tmp_path / "widget.key",
            "widget_identity_secret": SecretStr(IDENTITY_SECRET),
            "rate_limit_per_minute": 20,
            "shutdown_grace_seconds": 2.0,
        }
    )


@dataclass
class Served:
    app: App
    chat: WebChat
    base: str
    client: httpx.AsyncClient

    async def visitor(self, **who: str) -> str:
        response = await self.client.post("/api/visitor", json=who, headers={"origin": SHOP})
        assert response.status_code == 200, response.text
        return str(response.json()["token"])

    async def say(self, token: str, text: str, cid: str, **extra: Any) -> httpx.Response:
        body = {"id": cid, "kind": "text", "text": text, "lang": "en", **extra}
        return await self.client.post(
            "/api/messages",
            json=body,
            headers={"origin": SHOP, "authorization": f"Bearer {token}"},
        )

    async def act(self, token: str, **body: Any) -> httpx.Response:
        return await self.client.post(
            "/api/messages",
            json=body,
            headers={"origin": SHOP, "authorization": f"Bearer {token}"},
        )


@pytest.fixture
async def served(web_settings: Settings) -> AsyncIterator[Served]:
    async with (
        open_app(web_settings, engine=FakeEngine()) as app,
        serving_webchat(app, web_settings) as (chat, port),
    ):
        chat.stream_poll_seconds = 0.5
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            yield Served(app, chat, base, client)


async def read_events(
    client: httpx.AsyncClient,
    token: str,
    count: int,
    *,
    after: int | None = None,
    last_event_id: int | None = None,
    within: float = 10.0,
) -> list[dict[str, Any]]:
    """The first ``count`` stored events of the visitor's stream (partials skipped), or fewer
    when ``within`` seconds pass first (then the stream is simply closed)."""
    params = {"token": token}
    if after is not None:
        params["after"] = str(after)
    headers = {"origin": SHOP}
    if last_event_id is not None:
        headers["last-event-id"] = str(last_event_id)
    found: list[dict[str, Any]] = []

    async def collect() -> None:
        async with client.stream("GET", "/api/events", params=params, headers=headers) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            event_id, kind = None, "message"
            async for line in r.aiter_lines():
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "message":
                    data = json.loads(line[6:])
                    assert data["id"] == event_id
                    found.append(data)
                    if len(found) >= count:
                        return
                elif not line:
                    event_id, kind = None, "message"

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(collect(), within)
    return found
