"""The port through which the web chat tells agents outside the console about a hand-off.

The console's hand-off page sees every hand-off in the database; agents who work in the
Telegram support group (``SUPPORTBOT_SUPPORT_CHAT_ID``) need a ticket there and the visitor's
messages relayed under it. ``AgentDesk`` is what the web chat calls for that; the Telegram
channel implements it (``bot.channels.telegram.support_desk.TelegramDesk``) and ``supportbot
run`` plugs it in when both channels are configured. Agents' answers come back the other way
through the hand-off port (``messenger.WebMessenger``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from bot.conversation import Customer, Ticket


class AgentDesk(Protocol):
    """Where agents hear of a web visitor's hand-off; failures raise (the caller logs them)."""

    async def ticket(self, ticket: Ticket) -> None:
        """Post a new hand-off's ticket (and remember where, so agents can reply to it)."""

    async def relay(self, customer: Customer, text: str, message_id: int | None) -> None:
        """Pass a message the visitor wrote while with a person (stored as ``message_id``)."""


DeskOpener = Callable[[Any], AbstractAsyncContextManager[AgentDesk | None]]
