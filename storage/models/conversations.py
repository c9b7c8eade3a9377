"""Customers and their conversations: users, sessions, messages and feedback."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UTCDateTime, utcnow


class SessionState(StrEnum):
    """Who has a conversation: the bot answers, or a human agent does (the bot stays silent)."""

    BOT = "bot"
    HUMAN = "human"


class User(Base):
    """A customer (or admin) as seen on one channel."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), default="telegram")
    external_id: Mapped[int] = mapped_column(BigInteger)  # Telegram user id
    name: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(16))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sessions: Mapped[list[ChatSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class ChatSession(Base):
    """One conversation of a user in a chat; idle longer than the TTL means a new one."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user_chat_open", "user_id", "chat_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=SessionState.BOT)
    language: Mapped[str | None] = mapped_column(String(16))
    handoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agent_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_message_id: Mapped[int | None] = mapped_column(BigInteger)  # ticket in support chat

    user: Mapped[User] = relationship(back_populates="sessions")
    messages: Mapped[list[Message]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True
    )


class Message(Base):
    """One turn: a customer's text, the bot's reply (with how it was made) or an agent's."""

    __tablename__ = "messages"
    # A message a channel may hand over again (a replayed inbox update) carries an ``origin``
    # key: one customer message and at most one reply per key, so a replay reuses them.
    __table_args__ = (UniqueConstraint("origin", "role", name="uq_messages_origin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))  # "user" | "assistant" | "agent"
    text: Mapped[str | None] = mapped_column(Text)  # NULL once purged by retention
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    mode: Mapped[str | None] = mapped_column(String(16))  # AnswerMode of assistant messages
    faq_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    confidence: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(String(255))
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    unanswered: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    channel_message_id: Mapped[int | None] = mapped_column(BigInteger)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    origin: Mapped[str | None] = mapped_column(String(96))  # e.g. "telegram:<chat>:<update>:0"

    session: Mapped[ChatSession] = relationship(back_populates="messages")


class Feedback(Base):
    """A customer's 👍 (+1) or 👎 (-1) on one bot reply."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("message_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
