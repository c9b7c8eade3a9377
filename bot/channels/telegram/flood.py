"""Flood control: a user sending more than N messages a minute is not sent to the model.

A sliding one-minute window per user (by Telegram's send time), checked in a ``TypeHandler``
at group -1 before any other handler. Over the limit the message is still stored (the notice,
when sent, with mode ``rate_limited``), the user gets one polite notice per flood, and the
update stops there. Staff and customers talking to a person are never held back: the limit
protects the model. Outgoing calls are throttled separately by PTB's ``AIORateLimiter``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.sending import send_text
from bot.channels.telegram.services import CHANNEL, TelegramServices, language_of, services_of
from bot.conversation.exchange import AnswerMode, Incoming
from storage.repositories import messages, sessions, users

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60.0


class FloodControl:
    """Counts each user's messages in the last minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def allow(self, user_id: int, at: float | None = None) -> bool:
        """Count one message sent at ``at`` (default: now); False when over the limit."""
        now = self.clock() if at is None else at
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] >= WINDOW_SECONDS:
            seen.popleft()
        seen.append(now)
        if len(seen) <= self.per_minute:
            self._warned.discard(user_id)
            return True
        return False

    def should_warn(self, user_id: int) -> bool:
        """True once per flood: the first message over the limit gets the notice."""
        if user_id in self._warned:
            return False
        self._warned.add(user_id)
        return True

    def forget(self, user_id: int) -> None:
        self._seen.pop(user_id, None)
        self._warned.discard(user_id)


def is_customer_message(update: Update) -> bool:
    """A new or edited message from a person in a chat (not a channel post or a button)."""
    return (
        (update.message is not None or update.edited_message is not None)
        and update.effective_user is not None
        and not update.effective_user.is_bot
    )


async def record_flooded(
    services: TelegramServices, incoming: Incoming, notice: str | None
) -> None:
    """Store a flooding user's message (and the notice, if one is sent) without any model call."""
    recorder = getattr(services.conversation, "record_rate_limited", None)
    if recorder is not None:
        await recorder(incoming, notice)
        return
    ttl = timedelta(minutes=services.settings.session_ttl_minutes)
    async with services.session_factory() as db, db.begin():
        user = await users.get_or_create(
            session=db,
            channel=CHANNEL,
            external_id=incoming.user_id,
            name=incoming.user_name,
        )
        chat, _ = await sessions.open_or_continue(
            session=db, user_id=user.id, chat_id=incoming.chat_id, ttl=ttl
        )
        await messages.add(session=db, session_id=chat.id, role="user", text=incoming.text)
        if notice is not None:
            await messages.add(
                session=db,
                session_id=chat.id,
                role="assistant",
                text=notice,
                mode=AnswerMode.RATE_LIMITED.value,
            )


async def limit_flood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop a flooding user's message before it reaches the model (stored, noticed once)."""
    if not isinstance(update, Update) or not is_customer_message(update):
        return
    services = services_of(context)
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    assert user is not None and chat is not None and message is not None
    settings = services.settings
    if chat.id == settings.support_chat_id or user.id in settings.admin_ids:
        return  # staff are never throttled
    flood: FloodControl = context.application.bot_data["flood"]
    # Telegram's send time, not ours: messages queued behind a slow answer count when sent.
    sent_at = message.edit_date or message.date
    if flood.allow(user.id, sent_at.timestamp() if sent_at else None):
        return
    if await services.handoff.with_human(user_external_id=user.id, chat_id=chat.id):
        return  # talking to a person costs no model call: every message is relayed
    log.info("flood control: user %s over %s/min", user.id, flood.per_minute)
    language = await language_of(update, context)
    notice = services.texts.get("rate_limited", language) if flood.should_warn(user.id) else None
    incoming = Incoming(
        user_id=user.id,
        chat_id=chat.id,
        text=message.text or message.caption or "[media]",
        channel=CHANNEL,
        language_hint=language,
        user_name=user.full_name,
    )
    await record_flooded(services, incoming, notice)
    if notice is not None:
        await send_text(context.bot, chat.id, split_text(notice)[0])
    raise ApplicationHandlerStop
