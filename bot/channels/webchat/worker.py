"""The web chat's inbox worker: stored updates handled chat by chat, their events stored.

It claims due chat heads of the ``web`` inbox (``DeliveryService.claim``: never two items of
one chat at once, across instances too) and handles each in a task of its own: the update's
action runs (``WebActions``), then its events are stored in the outbox (numbered 1, 2, …) and
the item is finished in one transaction (``finish_with``), and the chat's streams are woken.

Unlike Telegram, handing an event to the browser is not this worker's job: the event stream
sends stored rows and the browser confirms them (``DeliveryService.confirm``), so an item is
done as soon as its events are stored, and a visitor who closed the tab does not hold up the
next one. A replay (the process was killed mid-answer) runs the action again: a question runs
under its origin key, so the conversation hands back the question and reply it stored, and
the browser gets the one event that is finally stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from bot.channels.webchat.actions import WebActions
from bot.channels.webchat.live import LiveStreams
from bot.delivery import DeliveryService, InboxEntry
from bot.observability.logs import log_context

log = logging.getLogger(__name__)


def backoff_seconds(attempts: int) -> float:
    return float(min(2 ** min(attempts, 6), 60))


class WebWorker:
    """Claims and handles web chat inbox items until stopped."""

    def __init__(
        self,
        delivery: DeliveryService,
        actions: WebActions,
        live: LiveStreams,
        *,
        slots: int,
        lease: timedelta,
        poll_interval: float = 1.0,
    ) -> None:
        self.delivery = delivery
        self.actions = actions
        self.live = live
        self.slots = slots
        self.lease = lease
        self.poll_interval = poll_interval
        self.handled = 0  # items finished by this worker (tests and benchmarks read it)
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: dict[asyncio.Task[None], InboxEntry] = {}

    def notify(self) -> None:
        """Something was stored: look for due items now."""
        self._wake.set()

    async def run(self) -> None:
        renewed = time.monotonic()
        while not self._stopping:
            self._wake.clear()
            free = self.slots - len(self._tasks)
            claimed: list[InboxEntry] = []
            if free > 0:
                try:
                    claimed = await self.delivery.claim(free, lease=self.lease)
                except Exception:
                    log.exception("claiming web chat items failed")
            for entry in claimed:
                task = asyncio.create_task(self._handle(entry), name=f"web-item-{entry.id}")
                self._tasks[task] = entry
                task.add_done_callback(self._finished)
            if time.monotonic() - renewed > self.lease.total_seconds() / 3:
                renewed = time.monotonic()
                for entry in list(self._tasks.values()):
                    with contextlib.suppress(Exception):
                        await self.delivery.renew(entry, self.lease)
            if claimed and len(claimed) == free:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def stop(self, grace: float) -> None:
        """Stop claiming; answers in progress get ``grace`` seconds, the rest are handed back."""
        self._stopping = True
        self._wake.set()
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._wake.set()

    async def _handle(self, entry: InboxEntry) -> None:
        with log_context(chat_id=entry.chat_id, request_id=f"web-{entry.update_id}"):
            try:
                if await self._store_events(entry):
                    self.handled += 1
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.delivery.release(entry, handled=False))
                raise
            except Exception:
                log.exception("web chat item %s failed; trying again later", entry.id)
                with contextlib.suppress(Exception):
                    delay = backoff_seconds(entry.attempts)
                    await self.delivery.release(entry, handled=False, delay=delay)
            finally:
                self.live.rows(entry.chat_id)

    async def _store_events(self, entry: InboxEntry) -> bool:
        """Run the item's action, then store its events and finish it in one transaction:
        a crash before that commit runs the action again (a question under its origin key
        gets the reply the conversation stored), a crash after it leaves nothing to do."""
        events = await self.actions.run(entry)
        extra = {"item": str(entry.update_id), "cid": entry.payload.get("cid")}
        ids = await self.delivery.finish_with(entry, [{**event, **extra} for event in events])
        if ids and any(event.get("forgotten") for event in events):
            await self.delivery.forget_chat(entry.chat_id, before_id=ids[-1])  # keeps the notice
        return bool(ids) or not events
