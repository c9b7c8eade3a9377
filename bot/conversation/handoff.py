"""Human hand-off use cases, channel-neutral: a customer's session goes to people and back.

A hand-off puts the customer's session in state ``human``; from then on the conversation
service calls no model for them and the channel relays their messages to the agents. Everything
an agent needs to route a reply is kept in the database (the ticket's message id on the session,
the relayed copy's message id on each customer message, the agent's own message id on each
agent reply), so a restart loses no ticket. Channels render ``Ticket`` (``handoff_values``)
however suits them. Under an update's origin key each message is stored once (``stored_once``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import origins, stored_once
from bot.conversation.exchange import AnswerMode
from bot.conversation.handoff_values import Customer, CustomerMessenger, HandoffError, Ticket
from storage.models import ChatSession, Message, SessionState, User, utcnow
from storage.repositories import messages, sessions, users

__all__ = ["Customer", "CustomerMessenger", "HandoffError", "HandoffService", "Ticket"]
WAITING_NOTICE_MODE = AnswerMode.HUMAN  # the mode the "when to expect an answer" notice has


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
        self,
        customer: Customer,
        text: str,
        *,
        relayed_message_id: int | None = None,
        origin: str | None = None,
    ) -> int:
        """Store a message the channel relayed itself (e.g. a photo's description); its id.
        Under an origin key (explicit or the update being handled) it is stored once."""
        key = origins.current(origin)

        async def store(db: AsyncSession, kept: Message | None) -> int:
            chat = await sessions.get(session=db, session_id=customer.session_id)
            if chat is not None:
                chat.last_active_at = utcnow()
            if stored_once.replays(kept, customer.session_id, text):
                assert kept is not None
                return kept.id
            row = await messages.add(
                session=db,
                session_id=customer.session_id,
                role="user",
                text=text,
                language=customer.language,
                channel_message_id=relayed_message_id,
                origin=stored_once.key_for(key, kept),
            )
            return row.id

        return await stored_once.once(self.session_factory, key, "user", store)

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
        origin: str | None = None,
    ) -> bool:
        """Store an agent's reply (role ``agent``); True if it is the first of this hand-off.
        Under an origin key it is stored once, and a replay gets the first run's answer."""
        key, now = origins.current(origin), now or utcnow()

        async def store(db: AsyncSession, kept: Message | None) -> bool:
            chat = await sessions.get(session=db, session_id=customer.session_id)
            if chat is None:
                raise HandoffError("that conversation no longer exists")
            if stored_once.replays(kept, chat.id, text):
                assert kept is not None
                return await _first_agent_reply(db, chat, kept)
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
                origin=stored_once.key_for(key, kept),
                now=now,
            )
            return first

        return await stored_once.once(self.session_factory, key, "agent", store)

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

    async def record_waiting_notice(
        self, customer: Customer, text: str, *, origin: str | None = None
    ) -> None:
        """Store the "we'll answer soon" notice (so it is sent once per hand-off); under an
        origin key, once however often the update or job storing it runs."""
        key = origins.current(origin)

        async def store(db: AsyncSession, kept: Message | None) -> None:
            if stored_once.replays(kept, customer.session_id, text):
                return
            await messages.add(
                session=db,
                session_id=customer.session_id,
                role="assistant",
                text=text,
                language=customer.language,
                mode=WAITING_NOTICE_MODE,
                origin=stored_once.key_for(key, kept),
            )

        await stored_once.once(self.session_factory, key, "assistant", store)

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


async def _first_agent_reply(db: AsyncSession, chat: ChatSession, reply: Message) -> bool:
    """Was ``reply`` (stored by an earlier run) the first agent reply of the open hand-off?"""
    if chat.handoff_at is None:
        return False
    earlier = await messages.history(session=db, session_id=chat.id, limit=50, before_id=reply.id)
    return not any(m.role == "agent" and m.created_at >= chat.handoff_at for m in earlier)
