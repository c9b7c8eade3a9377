"""Showing a reply while it is generated: "typing…", a first chunk, then throttled edits.

Telegram allows about one edit per second per chat, so text pieces are accumulated and the
message is edited at most every ``edit_interval``; a ``RetryAfter`` pauses the edits (the final
text still gets through). When the reply is complete it replaces the preview in one clean edit
(split into further messages past 4,096 characters) with its buttons. The preview's message id
is kept in the item's outbox: a replay after a crash edits that message, so the customer is not
left with a half-written answer above the finished one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode
from telegram.error import RetryAfter, TelegramError

from bot.channels.telegram.formatting import OutgoingText, streaming_preview
from bot.channels.telegram.outgoing import current_scope
from bot.channels.telegram.sending import edit_text, retry_seconds, send_parts, send_text

log = logging.getLogger(__name__)


class ReplyStream:
    """One reply being shown in one chat. Use as ``async with``; feed ``on_text``."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        *,
        reply_to: int | None = None,
        edit_interval: float = 1.0,
        typing_interval: float = 4.0,
        first_delay: float = 0.3,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.reply_to = reply_to
        self.edit_interval = edit_interval
        self.typing_interval = typing_interval
        self.first_delay = first_delay
        self.text = ""
        self.preview_message_id: int | None = None
        self.edits = 0
        self._dirty = asyncio.Event()
        self._done = asyncio.Event()
        self._typing: asyncio.Task[None] | None = None
        self._progress: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ReplyStream:
        scope = current_scope()
        if scope is not None:  # a replay after a crash: finish the preview it left, if any
            self.preview_message_id = scope.earlier_preview()
        self._typing = asyncio.create_task(self._keep_typing())
        self._progress = asyncio.create_task(self._show_progress())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def on_text(self, piece: str) -> None:
        """Called with each new piece of generated text."""
        self.text += piece
        self._dirty.set()

    async def stop(self) -> None:
        """Stop typing and editing; an edit in flight completes first."""
        self._done.set()
        self._dirty.set()
        if self._typing is not None:
            self._typing.cancel()
        for task in (self._typing, self._progress):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._typing = self._progress = None

    async def finish(
        self, parts: list[OutgoingText], reply_markup: InlineKeyboardMarkup | None = None
    ) -> list[int]:
        """Show the final reply: one clean edit of the preview, further parts as new messages.

        Returns the ids of the messages that now show the reply, in order.
        """
        await self.stop()
        bot, chat_id = self.bot, self.chat_id
        if self.preview_message_id is None:
            sent = await send_parts(
                bot, chat_id, parts, reply_markup=reply_markup, reply_to=self.reply_to
            )
            return [m.message_id for m in sent]
        first_markup = reply_markup if len(parts) == 1 else None
        ids = [self.preview_message_id]
        if not await edit_text(
            bot, chat_id, self.preview_message_id, parts[0], reply_markup=first_markup
        ):
            ids = [(await send_text(bot, chat_id, parts[0], reply_markup=first_markup)).message_id]
        if len(parts) > 1:
            rest = await send_parts(bot, chat_id, parts[1:], reply_markup=reply_markup)
            ids.extend(m.message_id for m in rest)
        return ids

    async def _keep_typing(self) -> None:
        while not self._done.is_set():
            try:
                await self.bot.send_chat_action(self.chat_id, ChatAction.TYPING)
            except TelegramError as exc:
                log.debug("typing action failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), self.typing_interval)

    async def _show_progress(self) -> None:
        # A reply complete within ``first_delay`` (a FAQ answer) is sent once, never edited.
        await self._dirty.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._done.wait(), self.first_delay)
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            if self._done.is_set():
                return
            pause = self.edit_interval
            try:
                preview = streaming_preview(self.text)
                if self.preview_message_id is None:
                    sent = await self.bot.send_message(
                        self.chat_id, preview, parse_mode=ParseMode.HTML
                    )
                    self.preview_message_id = sent.message_id
                    scope = current_scope()
                    if scope is not None:
                        await scope.remember_preview(self.chat_id, sent.message_id)
                else:
                    await self.bot.edit_message_text(
                        preview,
                        chat_id=self.chat_id,
                        message_id=self.preview_message_id,
                        parse_mode=ParseMode.HTML,
                    )
                    self.edits += 1
            except RetryAfter as exc:
                pause = max(pause, retry_seconds(exc))
            except TelegramError as exc:
                log.debug("streaming edit skipped: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), pause)
            if self._done.is_set():
                return
