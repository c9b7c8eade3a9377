"""The web chat side of the hand-off port: an agent's reply reaches the visitor's widget.

``WebMessenger`` implements ``bot.conversation.handoff.CustomerMessenger`` by storing the reply
as an ``agent`` item in the web chat's inbox: the web chat's worker turns it into an event in
the visitor's stream, in order with everything else in that chat, whichever process (the bot,
the console beside it) stored it. ``RoutedMessenger`` lets one console answer customers of
both channels: web visitor ids never collide with Telegram chat ids (see ``identity``).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

from bot.channels.webchat.identity import is_web_visitor
from bot.config import Settings
from bot.conversation import Customer, HandoffError
from bot.conversation.handoff import CustomerMessenger
from bot.delivery import DeliveryService, Received


class WebMessenger:
    """Stores an agent's text for a web visitor; ``stored`` wakes the worker (same process)."""

    def __init__(self, delivery: DeliveryService, stored: Callable[[], None] | None = None) -> None:
        self.delivery = delivery
        self.stored = stored

    def reaches(self, customer: Customer) -> bool:
        """True for the web chat's visitors (what ``ChannelMessenger`` asks)."""
        return is_web_visitor(customer.chat_id)

    async def send(self, customer: Customer, text: str) -> None:
        if not is_web_visitor(customer.chat_id):
            raise HandoffError("that customer is not on the web chat")
        key = uuid.uuid4().hex
        await self.delivery.store(
            [
                Received(
                    update_id=secrets.randbits(62),
                    dedup_key=f"agent:{key}",
                    chat_id=customer.chat_id,
                    payload={"kind": "agent", "text": text},
                    sent_at=self.delivery.clock(),
                )
            ]
        )
        if self.stored is not None:
            self.stored()


class RoutedMessenger:
    """Web visitors through ``web``, everyone else through ``other`` (Telegram, or None)."""

    def __init__(self, web: CustomerMessenger, other: CustomerMessenger | None) -> None:
        self.web = web
        self.other = other

    async def send(self, customer: Customer, text: str) -> None:
        if is_web_visitor(customer.chat_id):
            await self.web.send(customer, text)
        elif self.other is not None:
            await self.other.send(customer, text)
        else:
            raise HandoffError("no channel can reach that customer")


def web_messenger(app: Any, settings: Settings) -> WebMessenger | None:
    """Web visitors' messenger for another process or channel (the console, Telegram's
    support group) when the web chat is configured: replies are stored in its inbox, which the
    web chat's worker polls. None without a widget port."""
    if settings.widget_port is None:
        return None
    return WebMessenger(DeliveryService(app.session_factory, channel="web", holder="console"))


def reaching_web_visitors(
    app: Any, settings: Settings, other: CustomerMessenger | None
) -> CustomerMessenger | None:
    """The console's messenger: ``other`` (Telegram), plus web visitors when the web chat is
    configured."""
    web = web_messenger(app, settings)
    return other if web is None else RoutedMessenger(web, other)
