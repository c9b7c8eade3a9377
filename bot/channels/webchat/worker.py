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

from datetime import timedelta

from bot.channels.webchat.actions import WebActions
from bot.channels.webchat.live import LiveStreams
from bot.delivery import DeliveryService, InboxEntry
from bot.delivery.claim_loop import ClaimLoop
from bot.observability.logs import log_context


class WebWorker:
    """Claims and handles web chat inbox items until stopped (the loop: ``ClaimLoop``)."""

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
        self.handled = 0  # items finished by this worker (tests and benchmarks read it)
        self.loop = ClaimLoop(
            delivery,
            self._handle,
            slots=slots,
            lease=lease,
            name="web",
            poll_interval=poll_interval,
        )

    def notify(self) -> None:
        """Something was stored: look for due items now."""
        self.loop.notify()

    async def run(self) -> None:
        await self.loop.run()

    async def stop(self, grace: float) -> None:
        """Stop claiming; answers in progress get ``grace`` seconds, the rest are handed back."""
        await self.loop.stop(grace)

    async def _handle(self, entry: InboxEntry) -> None:
        with log_context(chat_id=entry.chat_id, request_id=f"web-{entry.update_id}"):
            try:
                await self.loop.guarded(entry, lambda: self._count(entry))
            finally:
                self.live.rows(entry.chat_id)

    async def _count(self, entry: InboxEntry) -> None:
        if await self._store_events(entry):
            self.handled += 1

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
