"""Sending and editing messages so that a reply is never lost.

Every text goes out as HTML (already escaped by ``formatting``). If Telegram still rejects it
(a parse error, or its own length count disagreeing with ours) the same words are re-sent as
plain text, cut smaller if need be. ``RetryAfter`` is retried by PTB's ``AIORateLimiter``; the
loop here is the last line for a storm longer than the limiter's retries.
"""

from __future__ import annotations

import asyncio
import logging
import warnings

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter

from bot.channels.telegram.formatting import OutgoingText, split_text

log = logging.getLogger(__name__)
RETRY_AFTER_ATTEMPTS = 5


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked to wait (an int today, a timedelta in PTB's next major)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


async def _with_retry_after(call, *args, **kwargs):  # type: ignore[no-untyped-def]
    for attempt in range(RETRY_AFTER_ATTEMPTS + 1):
        try:
            return await call(*args, **kwargs)
        except RetryAfter as exc:
            if attempt == RETRY_AFTER_ATTEMPTS:
                raise
            log.warning("Telegram asked to wait %ss", retry_seconds(exc))
            await asyncio.sleep(retry_seconds(exc))
    raise AssertionError("unreachable")


async def send_text(
    bot: Bot,
    chat_id: int,
    part: OutgoingText,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message:
    """Send one part as HTML; on a parse or length error, as plain text instead."""
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        return await _with_retry_after(
            bot.send_message,
            chat_id,
            part.html,
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup,
            reply_parameters=reply,
        )
    except BadRequest as exc:
        log.warning("HTML message rejected (%s); sending plain text", exc.message)
    pieces = [part.plain]
    if len(part.plain) > 4000:
        pieces = [p.plain for p in split_text(part.plain, 3500)]
    sent: Message | None = None
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        sent = await _with_retry_after(
            bot.send_message,
            chat_id,
            piece,
            reply_markup=reply_markup if last else None,
            reply_parameters=reply if index == 0 else None,
        )
    assert sent is not None
    return sent


async def edit_text(
    bot: Bot,
    chat_id: int,
    message_id: int,
    part: OutgoingText,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Replace a message's text (HTML, else plain); False if Telegram refused both."""
    for text, mode in ((part.html, ParseMode.HTML), (part.plain, None)):
        try:
            await _with_retry_after(
                bot.edit_message_text,
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=mode,
                reply_markup=reply_markup,
            )
            return True
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            log.warning("edit rejected (%s)", exc.message)
    return False


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
