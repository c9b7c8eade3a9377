"""``bench.load --mode webhook``: Telegram's side of a webhook, for the fake Bot API.

The fake Bot API keeps injected updates for ``getUpdates``; in webhook mode nothing polls, so
``WebhookPusher`` delivers them as Telegram does once ``setWebhook`` was called: each update
POSTed to the bot's endpoint with the secret header, in order, and again (after a pause) until
the bot answers 200, also across a SIGKILL and restart of the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import httpx

from tests.channels.telegram.fake_bot_api import FakeBotApi

SECRET = "bench-load-webhook-secret"
PATH = "telegram/webhook"
REDELIVERY_PAUSE = 0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_environment(port: int) -> dict[str, str]:
    """The bot's settings for webhook mode, listening on 127.0.0.1:``port``."""
    return {
        # Telegram only calls https:// URLs (Settings refuses others); the path is what counts:
        # the pusher plays the TLS proxy and posts to the port directly.
        "SUPPORTBOT_WEBHOOK_URL": f"https://bot.example.test/{PATH}",
        "SUPPORTBOT_WEBHOOK_SECRET": SECRET,
        "SUPPORTBOT_WEBHOOK_LISTEN": "127.0.0.1",
        "SUPPORTBOT_WEBHOOK_PORT": str(port),
    }


class WebhookPusher:
    """Delivers the fake's injected updates to the bot's webhook until stopped."""

    def __init__(self, api: FakeBotApi, port: int) -> None:
        self.api, self.url = api, f"http://127.0.0.1:{port}/{PATH}"
        self.delivered = 0
        self.redeliveries = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                if self.delivered >= len(self.api.pushed):
                    await self.api.wait_until(
                        lambda: self.delivered < len(self.api.pushed), within=3600
                    )
                update = self.api.pushed[self.delivered]
                while not await self._post(client, update, headers):
                    self.redeliveries += 1
                    await asyncio.sleep(REDELIVERY_PAUSE)
                self.delivered += 1

    async def _post(
        self, client: httpx.AsyncClient, update: dict[str, Any], headers: dict[str, str]
    ) -> bool:
        try:
            response = await client.post(self.url, json=update, headers=headers)
        except httpx.HTTPError:
            return False
        return response.status_code == 200
