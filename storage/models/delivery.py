"""Durable delivery: the inbox of updates received and the outbox of replies to send.

An update is stored in ``inbox_items`` *before* the channel confirms it to its source (a
Telegram ``getUpdates`` offset, a webhook's 200), once per ``update_id`` and once per
``dedup_key`` (chat + message id, or a callback query id), so a redelivered update is a no-op.
``id`` is the stored sequence: one chat's items are handled strictly in ``id`` order, by
whichever worker (or instance) claims the chat's oldest open item with a lease.

Each reply the handling of an item sends is an ``outbox_items`` row, written before the send and
marked sent with the channel's message id, so a crash or a failed send never loses it and a
replayed item never sends it twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class InboxState(StrEnum):
    """Where an inbox item is: waiting, being handled under a lease, or finished."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"


class OutboxState(StrEnum):
    """Where one reply is: waiting to be sent, sent, or refused for good by the channel."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class InboxItem(Base):
    """One update received from a channel, kept until it is handled (and a while after, so
    that a redelivery is recognised)."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        UniqueConstraint("channel", "update_id", name="uq_inbox_items_channel_update_id"),
        UniqueConstraint("channel", "dedup_key", name="uq_inbox_items_channel_dedup_key"),
        Index("ix_inbox_items_state_chat", "state", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    update_id: Mapped[int] = mapped_column(BigInteger)
    dedup_key: Mapped[str] = mapped_column(String(128))  # e.g. "m:<chat>:<message id>"
    chat_id: Mapped[int] = mapped_column(BigInteger)  # 0: no chat
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the sender's own time
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default=InboxState.PENDING)
    handled: Mapped[bool] = mapped_column(Boolean, default=False)  # handler ran to its end
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the conversation's reply
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)  # back-off of a retry
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claim_token: Mapped[str | None] = mapped_column(String(64), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class OutboxItem(Base):
    """One message the handling of an inbox item sends (or an edit), in the order sent."""

    __tablename__ = "outbox_items"
    __table_args__ = (
        UniqueConstraint("inbox_id", "seq"),
        # A chat's rows above an id (the web chat's event stream and its confirmations).
        Index("ix_outbox_items_chat_id_id", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox_items.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … within the item's handling
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # "send" | "edit"
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # what to send (channel's own shape)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.PENDING)
    channel_message_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChannelState(Base):
    """A channel's own small state that must survive a restart (admin dialogues in progress,
    buttons offered, flood counters), one JSON value per key."""

    __tablename__ = "channel_state"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
