"""Sending and editing messages so that a reply is never lost.

Every text goes out as HTML (already escaped by ``formatting``). If Telegram still rejects it
(a parse error, or its own length count disagreeing with ours) the same words are re-sent as
plain text, cut smaller if need be. 429 (``retry_after`` honoured), 5xx and network errors are
retried with back-off for ``send_retry_seconds`` (``retries.with_retries``); PTB's
``AIORateLimiter`` only handles 429.

Inside the handling of an inbox item every reply goes through that item's outbox
(``outgoing.DeliveryScope``): stored before it is sent, marked sent after, left pending (and
sent later, in order) when Telegram keeps failing. Outside of one (a timer job) the retries
are the only safety net.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Bot, Chat, InlineKeyboardMarkup, Message

from bot.channels.telegram.formatting import OutgoingText
from bot.channels.telegram.outgoing import current_scope, send_body, transmit
from bot.channels.telegram.retries import retry_seconds
from bot.config import Settings

log = logging.getLogger(__name__)
DEFAULT_RETRY_SECONDS = Settings.model_fields["send_retry_seconds"].default
__all__ = ["edit_text", "retry_seconds", "send_parts", "send_text"]


def _message(bot: Bot, chat_id: int, message_id: int) -> Message:
    """What handlers get back: the sent message's id in its chat (0 while it is pending)."""
    chat = Chat(chat_id, Chat.PRIVATE if chat_id > 0 else Chat.SUPERGROUP)
    message = Message(message_id, datetime.now().astimezone(), chat)
    message.set_bot(bot)
    return message


async def send_text(
    bot: Bot,
    chat_id: int,
    part: OutgoingText,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message:
    """Send one part as HTML; on a parse or length error, as plain text instead."""
    body = send_body(chat_id, part.html, part.plain, reply_markup, reply_to)
    scope = current_scope()
    if scope is None:
        message_id = await transmit(bot, "send", body, within=DEFAULT_RETRY_SECONDS)
    else:
        message_id = await scope.deliver(bot, "send", body)
    return _message(bot, chat_id, message_id or 0)


async def edit_text(
    bot: Bot,
    chat_id: int,
    message_id: int,
    part: OutgoingText,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Replace a message's text (HTML, else plain); False if Telegram refused both."""
    body = {
        **send_body(chat_id, part.html, part.plain, reply_markup, None),
        "message_id": message_id,
    }
    scope = current_scope()
    if scope is None:
        edited = await transmit(bot, "edit", body, within=DEFAULT_RETRY_SECONDS)
    else:
        edited = await scope.deliver(bot, "edit", body)
    return edited is not None


async def send_parts(
    bot: Bot,
    chat_id: int,
    parts: list[OutgoingText],
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> list[Message]:
    """Send several parts in order; the buttons go under the last one."""
    sent = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent.append(
            await send_text(
                bot,
                chat_id,
                part,
                reply_markup=reply_markup if last else None,
                reply_to=reply_to if index == 0 else None,
            )
        )
    return sent
