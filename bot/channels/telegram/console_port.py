"""The Telegram side of the hand-off port: the web console's agent replies reach customers.

``TelegramMessenger`` implements ``bot.conversation.handoff.CustomerMessenger`` with a Bot of
its own (the console may run in another thread or process than the polling application), sent
as plain text split to Telegram's length limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot
from telegram.error import TelegramError

from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.sending import send_parts
from bot.config import Settings
from bot.conversation.handoff import Customer, HandoffError


class TelegramMessenger:
    """Sends a text to a customer's Telegram chat; HandoffError when Telegram refuses."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, customer: Customer, text: str) -> None:
        try:
            await send_parts(self.bot, customer.chat_id, split_text(text))
        except TelegramError as exc:
            raise HandoffError(f"Telegram did not deliver it: {exc.message}") from None


@asynccontextmanager
async def open_messenger(settings: Settings) -> AsyncIterator[TelegramMessenger | None]:
    """A messenger when a bot token is configured, else None (replies are then refused)."""
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if not token:
        yield None
        return
    bot = Bot(token, base_url=settings.telegram_base_url)
    async with bot:
        yield TelegramMessenger(bot)
