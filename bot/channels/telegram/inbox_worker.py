"""The inbox worker: stored updates handled chat by chat, in stored order, each exactly once.

A dispatcher claims due chat heads (``DeliveryService.claim``: a chat's oldest open item, never
two of one chat at a time, across instances too) up to ``delivery_workers`` at once, and runs
each in its own task under the item's outbox scope (``outgoing.DeliveryScope``):

- a new item goes through PTB's ``Application.process_update`` (every handler, guards first);
  a customer text older than ``recovery_max_age_minutes`` gets the apology and the offer of a
  person instead (``bot.conversation.recovery.record_late``);
- an item whose handler already ran (``handled``) only has replies left to send: they are sent
  in order, and only then is the chat's next message taken;
- an item is done when its handler ran and every reply is out; otherwise it is handed back with
  a back-off. On stop, answers in progress get a grace period, then are handed back whole.

The same loop is the recovery at start: whatever an earlier run left open is simply due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any

from telegram import Chat, Update
from telegram.ext import Application

from bot.channels.telegram.answers import origin_of
from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.keyboards import human_keyboard
from bot.channels.telegram.outgoing import DeliveryScope, enter_scope, leave_scope
from bot.channels.telegram.replies import incoming_for
from bot.channels.telegram.send_lane import SendLane
from bot.channels.telegram.sending import send_text
from bot.channels.telegram.services import TelegramServices
from bot.channels.telegram.telegram_texts import channel_text
from bot.conversation import normalize_language
from bot.conversation.recovery import record_late
from bot.delivery import DeliveryService, InboxEntry
from bot.observability.logs import log_context

log = logging.getLogger(__name__)
QUOTE_CHARS = 80
FLOOD_SAVE_SECONDS = 5.0


def backoff_seconds(attempts: int) -> float:
    """Wait before the next try of an item whose replies Telegram keeps refusing."""
    return float(min(2 ** min(attempts, 6), 60))


class InboxWorker:
    """Claims and handles inbox items until stopped (see the module docstring)."""

    def __init__(
        self,
        application: Application,
        services: TelegramServices,
        delivery: DeliveryService,
        lane: SendLane,
    ) -> None:
        settings = services.settings
        self.application = application
        self.services = services
        self.delivery = delivery
        self.slots = settings.delivery_workers
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self.retry_within = settings.send_retry_seconds
        self.lane = lane
        self.max_age = timedelta(minutes=settings.recovery_max_age_minutes)
        self.poll_interval = 1.0
        self.handled = 0  # items finished by this worker (tests and benchmarks read it)
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: dict[asyncio.Task[None], DeliveryScope] = {}
        self._flood_saved = 0.0

    def notify(self) -> None:
        """Something was stored (or finished): look for due items now."""
        self._wake.set()

    @property
    def busy(self) -> int:
        return len(self._tasks)

    async def run(self) -> None:
        """Dispatch until ``stop``: claim due items into free slots, renew leases."""
        renewed = time.monotonic()
        while not self._stopping:
            self._wake.clear()
            free = self.slots - len(self._tasks)
            claimed: list[InboxEntry] = []
            if free > 0:
                try:
                    claimed = await self.delivery.claim(free, lease=self.lease)
                except Exception:
                    log.exception("claiming inbox items failed")
            for entry in claimed:
                self._start(entry)
            if time.monotonic() - renewed > self.lease.total_seconds() / 3:
                renewed = time.monotonic()
                await self._renew()
            if claimed and len(claimed) == free:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def stop(self, grace: float) -> None:
        """Stop claiming; answers in progress get ``grace`` seconds, the rest are handed back."""
        self._stopping = True
        self._wake.set()
        late: set[asyncio.Task[None]] = set()
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in late:
            self._tasks[task].closing = True
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        await self.save_state(flood=True)
        if late:
            log.info("stopping: %d answers in progress handed back to the inbox", len(late))

    def _start(self, entry: InboxEntry) -> None:
        scope = DeliveryScope(self.delivery, entry, {}, self.retry_within, self.lane)
        task = asyncio.create_task(self._handle(scope), name=f"inbox-item-{entry.id}")
        self._tasks[task] = scope
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._wake.set()

    async def save_state(self, *, flood: bool = False) -> None:
        """Keep the admin dialogues, offered buttons and (every few seconds) flood counters."""
        data = self.application.bot_data
        snapshot: dict[str, Any] = {"flows": data.flows.snapshot(), "unanswered": data.unanswered}
        if flood or time.monotonic() - self._flood_saved > FLOOD_SAVE_SECONDS:
            self._flood_saved = time.monotonic()
            snapshot["flood"] = self.services.flood.snapshot(time.time())
        try:
            await self.services.kept.save(snapshot)
        except Exception:  # losing a dialogue step is not worth failing the answer
            log.exception("could not keep the channel's state")

    async def _renew(self) -> None:
        for scope in list(self._tasks.values()):
            with contextlib.suppress(Exception):
                await self.delivery.renew(scope.entry, self.lease)

    async def _handle(self, scope: DeliveryScope) -> None:
        """One item, its log lines carrying its chat, Telegram message and update ids."""
        entry = scope.entry
        message = entry.payload.get("message") or entry.payload.get("edited_message") or {}
        with log_context(
            chat_id=entry.chat_id,
            message_id=message.get("message_id"),
            request_id=f"update-{entry.update_id}",
        ):
            await self._handle_in_scope(scope)

    async def _handle_in_scope(self, scope: DeliveryScope) -> None:
        entry = scope.entry
        token = enter_scope(scope)
        try:
            if entry.attempts > 1:  # an earlier claim may have stored or sent replies
                scope.rows = {row.seq: row for row in await self.delivery.outbox_of(entry)}
            if entry.handled:
                complete = await scope.flush()
            else:
                await self._process(entry, scope)
                complete = not scope.deferred
            await self.save_state()
            if complete:
                await self.delivery.finish(entry)
                self.handled += 1
            else:
                await self.delivery.release(
                    entry, handled=True, delay=backoff_seconds(entry.attempts)
                )
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.delivery.release(entry, handled=False))
            raise
        except Exception:
            log.exception("inbox item %s failed; trying again later", entry.id)
            with contextlib.suppress(Exception):
                delay = backoff_seconds(entry.attempts)
                await self.delivery.release(entry, handled=False, delay=delay)
        finally:
            leave_scope(token)

    async def _process(self, entry: InboxEntry, scope: DeliveryScope) -> None:
        update = Update.de_json(entry.payload, self.application.bot)
        if await self._is_late(entry, update):
            await self._apologise_late(update, origin_of(entry))
        else:
            await self.application.process_update(update)

    async def _is_late(self, entry: InboxEntry, update: Update) -> bool:
        """A private customer text that waited longer than the recovery limit."""
        message, chat, user = (
            update.message or update.edited_message,
            update.effective_chat,
            (update.effective_user),
        )
        if message is None or chat is None or user is None or entry.answer:
            return False
        if chat.type != Chat.PRIVATE or not message.text or message.text.startswith("/"):
            return False
        now = self.delivery.clock()
        if entry.sent_at is None or now - entry.sent_at <= self.max_age:
            return False
        person = await self.services.handoff.with_human(user_external_id=user.id, chat_id=chat.id)
        return person is None  # with a person on the chat, the message is relayed as usual

    async def _apologise_late(self, update: Update, origin: str) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        assert message is not None and chat is not None and user is not None
        text = (message.text or "").strip()
        quote = text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
        hint = normalize_language(user.language_code)
        incoming = incoming_for(user.id, chat.id, text, hint, user.full_name)
        conversation: Any = self.services.app.conversation
        reply = await record_late(
            conversation,
            incoming,
            lambda lang: channel_text("apology_late", lang, question=quote),
            origin=origin,
        )
        if not reply.text:  # a person took the chat meanwhile: nothing for the bot to say
            return
        log.info("inbox: message in chat %s was too old; apologised", chat.id)
        agents = self.services.settings.support_chat_id is not None
        markup = human_keyboard(reply.language) if agents else None
        await send_text(
            self.application.bot, chat.id, split_text(reply.text)[0], reply_markup=markup
        )
