"""Flood guard: a ``TypeHandler`` at group -1 that stops a flooding user's message.

Over the limit (see ``flood.FloodControl``) the message is still stored through the
conversation service (the notice, when sent, with mode ``rate_limited``), the user gets one
polite notice per flood, and the update stops there. Staff and customers talking to a person
are never held back: the limit protects the model. Outgoing calls are throttled separately by
PTB's ``AIORateLimiter``.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.sending import send_text
from bot.channels.telegram.services import CHANNEL, Context, language_of, services_of
from bot.conversation import Incoming

log = logging.getLogger(__name__)


def is_customer_message(update: Update) -> bool:
    """A new or edited message from a person in a chat (not a channel post or a button)."""
    return (
        (update.message is not None or update.edited_message is not None)
        and update.effective_user is not None
        and not update.effective_user.is_bot
    )


async def limit_flood(update: Update, context: Context) -> None:
    """Stop a flooding user's message before it reaches the model (stored, noticed once)."""
    if not isinstance(update, Update) or not is_customer_message(update):
        return
    services = services_of(context)
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    assert user is not None and chat is not None and message is not None
    settings, flood = services.settings, services.flood
    if chat.id == settings.support_chat_id or user.id in settings.admin_ids:
        return  # staff are never throttled
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
    await services.conversation.record_rate_limited(incoming, notice)
    if notice is not None:
        await send_text(context.bot, chat.id, split_text(notice)[0])
    raise ApplicationHandlerStop
