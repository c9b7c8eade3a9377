"""One turn of a conversation in the database: the customer's message, then the bot's reply.

``open_turn`` is the first transaction of every message and commits on its own, so the question
is stored before retrieval or the model can fail; it also reads what answering needs (recent
history, the admin's system prompt). ``store_reply`` is the second transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation.exchange import AnswerMode, Choice, Incoming
from bot.conversation.followup import Earlier, FollowUpContext, context_of
from bot.engine.base import ChatMessage
from bot.prompting.builder import SYSTEM_TEMPLATE_NAME
from storage.models import Message, SessionState
from storage.repositories import messages, prompts, sessions, users

HISTORY_MESSAGES = 6


@dataclass(slots=True)
class Turn:
    """What the first transaction learned: who, which session, the stored question."""

    session_id: int
    user_message_id: int
    language: str
    state: SessionState  # HUMAN: an agent has the conversation
    history: list[ChatMessage]  # earlier turns of this session, oldest first
    system_template: str | None  # the admin's system prompt, None: the file default
    context: FollowUpContext | None = None  # what a follow-up may borrow (see ``followup``)


@dataclass(slots=True)
class Outcome:
    """The reply to store and send, with how it was made."""

    text: str
    mode: AnswerMode
    faq_ids: list[int] = field(default_factory=list)
    confidence: float = 0.0
    related: list[str] = field(default_factory=list)
    offer_human: bool = False
    unanswered: bool = False  # no confident answer: listed for the admins
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    choices: list[Choice] = field(default_factory=list)  # "did you mean…" / the other question
    more: str = ""  # the rest of a focused entry
    more_ref: tuple[int, tuple[int, ...]] | None = None


async def open_turn(
    session_factory: async_sessionmaker[AsyncSession],
    incoming: Incoming,
    *,
    ttl: timedelta,
    language_for: Callable[[str | None], str],
    now: datetime,
    history_messages: int = HISTORY_MESSAGES,
) -> Turn:
    """Find or create the user and session and store the message, in one committed transaction.

    ``language_for`` gets the user's stored language choice and returns the reply language.
    """
    async with session_factory() as s, s.begin():
        before = await _last_activity(s, incoming)
        user = await users.get_or_create(
            session=s,
            channel=incoming.channel,
            external_id=incoming.user_id,
            name=incoming.user_name,
            now=now,
        )
        language = language_for(user.language)
        chat, is_new = await sessions.open_or_continue(
            session=s,
            user_id=user.id,
            chat_id=incoming.chat_id,
            ttl=ttl,
            language=language,
            now=now,
        )
        earlier = (
            []
            if is_new
            else await messages.history(session=s, session_id=chat.id, limit=history_messages)
        )
        stored = await messages.add(
            session=s,
            session_id=chat.id,
            role="user",
            text=incoming.text,
            language=language,
            now=now,
        )
        template = await prompts.get(session=s, name=SYSTEM_TEMPLATE_NAME)
        return Turn(
            session_id=chat.id,
            user_message_id=stored.id,
            language=language,
            state=SessionState(chat.state),
            history=[
                ChatMessage("user" if m.role == "user" else "assistant", m.text or "")
                for m in earlier
            ],
            system_template=template.body if template is not None else None,
            context=None if is_new else context_of([_earlier(m) for m in earlier], before),
        )


async def _last_activity(s: AsyncSession, incoming: Incoming) -> datetime | None:
    """The customer's open session's last activity before this message (None: no session)."""
    user = await users.get(session=s, channel=incoming.channel, external_id=incoming.user_id)
    if user is None:
        return None
    known = await sessions.current(session=s, user_id=user.id, chat_id=incoming.chat_id)
    return known.last_active_at if known is not None else None


def _earlier(message: Message) -> Earlier:
    return Earlier(
        role=message.role,
        text=message.text or "",
        mode=message.mode,
        faq_ids=tuple(message.faq_ids or ()),
        created_at=message.created_at,
    )


async def store_reply(
    session_factory: async_sessionmaker[AsyncSession],
    turn: Turn,
    outcome: Outcome,
    latency_ms: int,
    now: datetime,
) -> int:
    """Store the reply (and flag the question when it got no confident answer); its id."""
    async with session_factory() as s, s.begin():
        stored = await messages.add(
            session=s,
            session_id=turn.session_id,
            role="assistant",
            text=outcome.text,
            language=turn.language,
            mode=outcome.mode.value,
            faq_ids=outcome.faq_ids,
            confidence=outcome.confidence,
            model=outcome.model,
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            latency_ms=latency_ms,
            now=now,
        )
        if outcome.unanswered:
            question = await messages.get(session=s, message_id=turn.user_message_id)
            if question is not None:
                question.unanswered = True
        return stored.id
