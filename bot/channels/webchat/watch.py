"""Wakes the streams of chats whose events another process stored.

The worker wakes a chat's open streams itself when it stores an event; an agent's reply typed
in the console beside the bot (its own event loop, or its own process) is stored in the inbox
and becomes an event here, but a second instance of the bot behind a load balancer stores
events this process never hears of. ``OutboxWatch`` asks the database once a second which
chats have rows it has not seen and wakes their streams: one query, however many visitors are
connected. A stream still looks on its own every ``stream_poll_seconds`` (ids may commit out of
order on PostgreSQL across chats; the watch could step over one).
"""

from __future__ import annotations

import asyncio
import logging

from bot.channels.webchat.live import LiveStreams
from bot.delivery import DeliveryService

log = logging.getLogger(__name__)


class OutboxWatch:
    """Polls the outbox for new rows every ``interval`` seconds and wakes their chats."""

    def __init__(self, delivery: DeliveryService, live: LiveStreams, interval: float = 1.0) -> None:
        self.delivery, self.live, self.interval = delivery, live, interval

    async def run(self) -> None:
        seen = await self.delivery.newest_row_id()
        while True:
            await asyncio.sleep(self.interval)
            if not self.live.listening():
                continue
            try:
                for chat_id, newest in await self.delivery.chats_after(seen):
                    self.live.rows(chat_id)
                    seen = max(seen, newest)
            except Exception:  # a busy database: look again next time
                log.warning("web chat: could not look for new events", exc_info=True)
