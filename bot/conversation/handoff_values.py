"""What a hand-off is made of, as channels see it: the customer, the ticket, the messenger port.

Plain values and the port, apart from ``HandoffService`` (``handoff``), which re-exports them:
channels render a ``Ticket`` however suits them and implement ``CustomerMessenger``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Customer:
    """Who a hand-off belongs to, as the channel addresses them."""

    session_id: int
    user_external_id: int
    chat_id: int
    name: str | None
    language: str | None
    ticket_message_id: int | None = None  # where the ticket sits in the agents' chat


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the agents see when a hand-off starts."""

    customer: Customer
    started_at: datetime
    last_messages: list[tuple[str, str]] = field(default_factory=list)  # (role, text)
    unanswered: list[str] = field(default_factory=list)
    already_open: bool = False  # the session was already with a human (no new ticket needed)
    ticket_message_id: int | None = None


class HandoffError(Exception):
    """A hand-off request that cannot be carried out (no such ticket, already closed)."""


class CustomerMessenger(Protocol):
    """The port through which an agent outside the customer's channel (the web console)
    writes to them; the channel implements it (Telegram: ``console_port.TelegramMessenger``)
    and raises HandoffError when a message cannot be delivered."""

    async def send(self, customer: Customer, text: str) -> None: ...


class ChannelMessenger(CustomerMessenger, Protocol):
    """A messenger that also says which customers are its channel's: how one channel's agents
    (Telegram's support group) reach the customers of another (web chat visitors) without
    importing it; the composition root hands it over."""

    def reaches(self, customer: Customer) -> bool: ...
