"""Durable delivery, channel-neutral: the inbox of received updates and the outbox of replies.

A channel stores what it receives (``DeliveryService.store``) before confirming it to its
source, claims stored items chat by chat in stored order, records every reply in the outbox
before sending it and marks it sent afterwards. Nothing is lost to a crash, a restart or a
failed send, and a redelivered update is recognised and skipped. ``KeptState`` keeps the
channel's small in-memory state (dialogues in progress, offered buttons, flood counters)
across restarts. See ``docs/telegram.md``
("Delivery guarantees") for what "exactly once" can and cannot mean.
"""

from bot.delivery.service import (
    REDELIVERY_HORIZON,
    DeliveryService,
    InboxEntry,
    OutboxEntry,
    Received,
)
from bot.delivery.state import KeptState

__all__ = [
    "REDELIVERY_HORIZON",
    "DeliveryService",
    "InboxEntry",
    "KeptState",
    "OutboxEntry",
    "Received",
]
