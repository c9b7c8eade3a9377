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
from bot.delivery.claim_loop import ClaimLoop, backoff_seconds
from bot.observability.logs import log_context

log = logging.getLogger(__name__)
QUOTE_CHARS = 80
FLOOD_SAVE_SECONDS = 5.0


class InboxWorker:
    """Claims and handles inbox items until stopped (see the module docstring; the claiming
    itself is ``ClaimLoop``'s)."""

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
        self.retry_within = settings.send_retry_seconds
        self.lane = lane
        self.max_age = timedelta(minutes=settings.recovery_max_age_minutes)
        self.handled = 0  # items finished by this worker (tests and benchmarks read it)
        self.loop = ClaimLoop(
            delivery,
            self._handle,
            slots=settings.delivery_workers,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            name="inbox",
        )
        self._scopes: dict[int, DeliveryScope] = {}  # by inbox item id, while it is handled
        self._flood_saved = 0.0

    def notify(self) -> None:
        """Something was stored (or finished): look for due items now."""
        self.loop.notify()

    @property
    def busy(self) -> int:
        return self.loop.busy

    async def run(self) -> None:
        """Dispatch until ``stop``: claim due items into free slots, renew leases."""
        await self.loop.run()

    async def stop(self, grace: float) -> None:
        """Stop claiming; answers in progress get ``grace`` seconds, the rest are handed back."""
        late = await self.loop.stop(grace, before_cancel=self._closing)
        await self.save_state(flood=True)
        if late:
            log.info("stopping: %d answers in progress handed back to the inbox", late)

    def _closing(self, entry: InboxEntry) -> None:
        """An item about to be cancelled at stop: its scope stops sending."""
        scope = self._scopes.get(entry.id)
        if scope is not None:
            scope.closing = True

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

    async def _handle(self, entry: InboxEntry) -> None:
        """One item, its log lines carrying its chat, Telegram message and update ids."""
        scope = DeliveryScope(self.delivery, entry, {}, self.retry_within, self.lane)
        self._scopes[entry.id] = scope
        message = entry.payload.get("message") or entry.payload.get("edited_message") or {}
        with log_context(
            chat_id=entry.chat_id,
            message_id=message.get("message_id"),
            request_id=f"update-{entry.update_id}",
        ):
            try:
                await self.loop.guarded(entry, lambda: self._handle_in_scope(scope))
            finally:
                self._scopes.pop(entry.id, None)

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
