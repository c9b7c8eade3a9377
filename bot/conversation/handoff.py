"""Human hand-off use cases, channel-neutral: a customer's session goes to people and back.

A hand-off puts the customer's session in state ``human``; from then on the conversation
service calls no model for them and the channel relays their messages to the agents. Everything
an agent needs to route a reply is kept in the database (the ticket's message id on the session,
the relayed copy's message id on each customer message, the agent's own message id on each
agent reply), so a restart loses no ticket. Channels render ``Ticket`` however suits them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation.exchange import AnswerMode
from storage.models import ChatSession, SessionState, User, utcnow
from storage.repositories import messages, sessions, users

WAITING_NOTICE_MODE = AnswerMode.HUMAN  # the mode the "when to expect an answer" notice has


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


class HandoffService:
    """Start, relay, answer and finish hand-offs over the storage repositories."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        channel: str,
        session_ttl: timedelta,
        history_size: int = 8,
    ) -> None:
        self.session_factory = session_factory
        self.channel = channel
        self.session_ttl = session_ttl
        self.history_size = history_size

    # --- starting -----------------------------------------------------------------------------
    async def start(
        self,
        *,
        user_external_id: int,
        chat_id: int,
        user_name: str | None = None,
        language: str | None = None,
        now: datetime | None = None,
    ) -> Ticket:
        """Put the customer's session with a human and gather the ticket's contents."""
        now = now or utcnow()
        async with self.session_factory() as db, db.begin():
            user = await users.get_or_create(
                session=db,
                channel=self.channel,
                external_id=user_external_id,
                name=user_name,
                now=now,
            )  # no language here: ``users.language`` is the customer's explicit choice
            chat, _ = await sessions.open_or_continue(
                session=db, user_id=user.id, chat_id=chat_id, ttl=self.session_ttl, now=now
            )
            chat.language = chat.language or language
            already_open = chat.state == SessionState.HUMAN
            if not already_open:
                await sessions.set_state(session=db, chat=chat, state=SessionState.HUMAN, now=now)
            history = await messages.history(
                session=db, session_id=chat.id, limit=self.history_size
            )
            return Ticket(
                customer=_customer(chat, user, language),
                started_at=chat.handoff_at or now,
                last_messages=[(m.role, m.text or "") for m in history],
                unanswered=[m.text or "" for m in history if m.role == "user" and m.unanswered],
                already_open=already_open,
                ticket_message_id=chat.ticket_message_id,
            )

    async def attach_ticket(self, session_id: int, ticket_message_id: int) -> None:
        """Remember where the ticket was posted, so agents can reply to it."""
        async with self.session_factory() as db, db.begin():
            chat = await sessions.get(session=db, session_id=session_id)
            if chat is not None:
                chat.ticket_message_id = ticket_message_id

    # --- while with a human -------------------------------------------------------------------
    async def with_human(self, *, user_external_id: int, chat_id: int) -> Customer | None:
        """The customer's open hand-off in this chat, if their session is with a human."""
        async with self.session_factory() as db:
            user = await users.get(session=db, channel=self.channel, external_id=user_external_id)
            if user is None:
                return None
            chat = await sessions.current(session=db, user_id=user.id, chat_id=chat_id)
            if chat is None or chat.state != SessionState.HUMAN:
                return None
            return _customer(chat, user, chat.language or user.language)

    async def record_customer_message(
        self, customer: Customer, text: str, *, relayed_message_id: int | None = None
    ) -> int:
        """Store a message the channel relayed itself (e.g. a photo's description)."""
        async with self.session_factory() as db, db.begin():
            chat = await sessions.get(session=db, session_id=customer.session_id)
            if chat is not None:
                chat.last_active_at = utcnow()
            row = await messages.add(
                session=db,
                session_id=customer.session_id,
                role="user",
                text=text,
                language=customer.language,
                channel_message_id=relayed_message_id,
            )
            return row.id

    async def mark_relayed(self, message_id: int, relayed_message_id: int) -> None:
        """Remember the relayed copy of a stored customer message (agents reply to it)."""
        async with self.session_factory() as db, db.begin():
            row = await messages.get(session=db, message_id=message_id)
            if row is not None:
                row.channel_message_id = relayed_message_id

    async def customer_for(self, support_message_id: int) -> Customer | None:
        """The open hand-off that a message in the agents' chat belongs to: its ticket, a
        relayed customer message or an earlier agent reply."""
        async with self.session_factory() as db:
            chat = await sessions.by_ticket(session=db, ticket_message_id=support_message_id)
            if chat is None:
                chat = await sessions.by_relayed_message(
                    session=db, support_message_id=support_message_id
                )
            return await self._customer_of(db, chat)

    async def customer_by_session(self, session_id: int) -> Customer | None:
        """The open hand-off with this session id (``/reply 42 ...``, ``/done 42``)."""
        async with self.session_factory() as db:
            chat = await sessions.get(session=db, session_id=session_id)
            if chat is None or chat.state != SessionState.HUMAN or chat.ended_at is not None:
                return None
            return await self._customer_of(db, chat)

    async def record_agent_reply(
        self,
        customer: Customer,
        text: str,
        *,
        agent_message_id: int | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Store an agent's reply (role ``agent``); True if it is the first of this hand-off."""
        now = now or utcnow()
        async with self.session_factory() as db, db.begin():
            chat = await sessions.get(session=db, session_id=customer.session_id)
            if chat is None:
                raise HandoffError("that conversation no longer exists")
            first = chat.agent_replied_at is None
            chat.agent_replied_at = now
            chat.last_active_at = now
            await messages.add(
                session=db,
                session_id=chat.id,
                role="agent",
                text=text,
                language=customer.language,
                channel_message_id=agent_message_id,
                now=now,
            )
            return first

    async def reply_through(
        self, messenger: CustomerMessenger, session_id: int, text: str, *, joined_notice: str
    ) -> Customer:
        """An agent's reply typed outside the channel: stored, then sent through the port
        (``joined_notice`` first when it is the hand-off's first agent reply)."""
        customer = await self.customer_by_session(session_id)
        if customer is None:
            raise HandoffError("that hand-off is closed")
        if not text.strip():
            raise HandoffError("the reply is empty")
        if await self.record_agent_reply(customer, text):
            await messenger.send(customer, joined_notice)
        await messenger.send(customer, text)
        return customer

    # --- finishing ----------------------------------------------------------------------------
    async def finish(self, session_id: int, now: datetime | None = None) -> Customer | None:
        """Hand the customer back to the bot; None when the session was not with a human."""
        async with self.session_factory() as db, db.begin():
            chat = await sessions.get(session=db, session_id=session_id)
            if chat is None or chat.state != SessionState.HUMAN:
                return None
            customer = await self._customer_of(db, chat)
            await sessions.set_state(session=db, chat=chat, state=SessionState.BOT, now=now)
            chat.last_active_at = now or utcnow()
            return customer

    async def finish_for(self, *, user_external_id: int, chat_id: int) -> Customer | None:
        """The customer asks for the bot again (``/bot``)."""
        customer = await self.with_human(user_external_id=user_external_id, chat_id=chat_id)
        return None if customer is None else await self.finish(customer.session_id)

    # --- waiting too long ---------------------------------------------------------------------
    async def overdue(self, *, after: timedelta, now: datetime | None = None) -> list[Customer]:
        """Hand-offs older than ``after`` with no agent reply and no waiting notice yet."""
        cutoff = (now or utcnow()) - after
        found: list[Customer] = []
        async with self.session_factory() as db:
            for chat in await sessions.open_handoffs(session=db):
                if chat.agent_replied_at is not None or chat.handoff_at is None:
                    continue
                if chat.handoff_at > cutoff:
                    continue
                recent = await messages.history(session=db, session_id=chat.id, limit=50)
                notified = any(
                    m.role == "assistant"
                    and m.mode == WAITING_NOTICE_MODE
                    and m.created_at >= chat.handoff_at
                    for m in recent
                )
                if not notified:
                    customer = await self._customer_of(db, chat)
                    if customer is not None:
                        found.append(customer)
        return found

    async def record_waiting_notice(self, customer: Customer, text: str) -> None:
        """Store the "we'll answer soon" notice (so it is sent once per hand-off)."""
        async with self.session_factory() as db, db.begin():
            await messages.add(
                session=db,
                session_id=customer.session_id,
                role="assistant",
                text=text,
                language=customer.language,
                mode=WAITING_NOTICE_MODE,
            )

    async def _customer_of(self, db: AsyncSession, chat: ChatSession | None) -> Customer | None:
        if chat is None:
            return None
        user = await db.get(User, chat.user_id)
        if user is None:
            return None
        return _customer(chat, user, chat.language or user.language)


def _customer(chat: ChatSession, user: User, language: str | None) -> Customer:
    return Customer(
        session_id=chat.id,
        user_external_id=user.external_id,
        chat_id=chat.chat_id,
        name=user.name,
        language=language or chat.language or user.language,
        ticket_message_id=chat.ticket_message_id,
    )
