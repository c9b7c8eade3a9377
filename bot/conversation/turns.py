"""One turn of a conversation in the database: the customer's message, then the bot's reply.

``open_turn`` is the first transaction of every message and commits on its own, so the question
is stored before retrieval or the model can fail; it also reads what answering needs (recent
history, the admin's system prompt). ``store_reply`` is the second transaction.

A channel that may hand the same update over again (the durable inbox replays an update whose
instance died mid-answer) passes an ``origin`` key: the question is then stored once per key
(unique ``messages.origin``, ``role``), and a replay gets the stored question back, with the
stored reply when the first run got that far, so neither is stored twice and the customer is
sent the same words. A key holding another message's text (reused) gives no reply back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import origins
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from bot.conversation.followup import Earlier, FollowUpContext, context_of
from bot.conversation.outcome import Outcome
from bot.engine.base import ChatMessage
from bot.prompting.builder import SYSTEM_TEMPLATE_NAME
from storage.models import Message, SessionState
from storage.repositories import messages, prompts, sessions, users

log = logging.getLogger(__name__)
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
    origin: str | None = None  # the channel's key of the update (see the module docstring)
    earlier_reply: Outcome | None = None  # a replay: the reply an earlier run stored
    earlier_reply_id: int | None = None


async def open_turn(
    session_factory: async_sessionmaker[AsyncSession],
    incoming: Incoming,
    *,
    ttl: timedelta,
    language_for: Callable[[str | None], str],
    now: datetime,
    history_messages: int = HISTORY_MESSAGES,
    origin: str | None = None,
) -> Turn:
    """Find or create the user and session and store the message, in one committed transaction.

    ``language_for`` gets the user's stored language choice and returns the reply language.
    With ``origin``, a message already stored under it is reused, not stored again; when two
    runs race, the loser's insert fails on the unique key and it takes the winner's row.
    """
    origin = origins.current(origin)
    try:
        return await _open(
            session_factory, incoming, ttl, language_for, now, history_messages, origin
        )
    except IntegrityError:
        if origin is None:
            raise
        return await _open(
            session_factory, incoming, ttl, language_for, now, history_messages, origin
        )


async def _open(
    session_factory: async_sessionmaker[AsyncSession],
    incoming: Incoming,
    ttl: timedelta,
    language_for: Callable[[str | None], str],
    now: datetime,
    history_messages: int,
    origin: str | None,
) -> Turn:
    async with session_factory() as s, s.begin():
        kept = await messages.by_origin(session=s, origin=origin, role="user") if origin else None
        if origin and kept and kept.text == incoming.text:
            return await _resume(s, kept, origin, history_messages)
        origin = _own_key(origin, kept)
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
            origin=origin,
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
            # a new session has no earlier messages, so context_of finds nothing to lend
            context=context_of([_earlier(m) for m in earlier], before, message=incoming.text),
            origin=origin,
        )


def _own_key(origin: str | None, kept: Message | None) -> str | None:
    """``origin``, or None when another message is under it: never hand out its reply."""
    if kept is None:
        return origin
    log.error("origin %s already holds another message; stored as a new turn", origin)
    return None


async def _resume(s: AsyncSession, question: Message, origin: str, limit: int) -> Turn:
    """The turn of a question an earlier run of the same update stored (and its reply, if any)."""
    chat = await sessions.get(session=s, session_id=question.session_id)
    earlier = await messages.history(
        session=s, session_id=question.session_id, limit=limit, before_id=question.id
    )
    reply = await messages.by_origin(session=s, origin=origin, role="assistant")
    template = await prompts.get(session=s, name=SYSTEM_TEMPLATE_NAME)
    before = earlier[-1].created_at if earlier else None
    return Turn(
        session_id=question.session_id,
        user_message_id=question.id,
        language=question.language or (chat.language if chat else None) or "en",
        state=SessionState(chat.state) if chat is not None else SessionState.BOT,
        history=[
            ChatMessage("user" if m.role == "user" else "assistant", m.text or "") for m in earlier
        ],
        system_template=template.body if template is not None else None,
        context=context_of([_earlier(m) for m in earlier], before, message=question.text or ""),
        origin=origin,
        earlier_reply=_outcome_of(reply) if reply is not None else None,
        earlier_reply_id=reply.id if reply is not None else None,
    )


def _outcome_of(reply: Message) -> Outcome:
    """A stored reply as the outcome to send again (the buttons it had are not stored)."""
    mode = AnswerMode(reply.mode or AnswerMode.FALLBACK)
    return Outcome(
        reply.text or "",
        mode,
        faq_ids=list(reply.faq_ids or ()),
        confidence=reply.confidence or 0.0,
        offer_human=mode in (AnswerMode.HANDOFF, AnswerMode.FALLBACK),
        model=reply.model,
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
    """Store the reply (and flag the question when it got no confident answer); its id.

    A reply to ``turn.origin`` that another run stored meanwhile is kept: its id is returned.
    """
    if turn.earlier_reply_id is not None:
        return turn.earlier_reply_id
    try:
        return await _store_reply(session_factory, turn, outcome, latency_ms, now)
    except IntegrityError:
        if turn.origin is None:
            raise
        async with session_factory() as s:
            kept = await messages.by_origin(session=s, origin=turn.origin, role="assistant")
        if kept is None:
            raise
        return kept.id


async def _store_reply(
    session_factory: async_sessionmaker[AsyncSession],
    turn: Turn,
    outcome: Outcome,
    latency_ms: int,
    now: datetime,
) -> int:
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
            origin=turn.origin,
            now=now,
        )
        if outcome.unanswered:
            question = await messages.get(session=s, message_id=turn.user_message_id)
            if question is not None:
                question.unanswered = True
        return stored.id


def reply_of(turn: Turn, outcome: Outcome, message_id: int | None, latency_ms: int) -> Reply:
    """What the channel gets for a turn answered with ``outcome`` (stored as ``message_id``)."""
    return Reply(
        outcome.text,
        outcome.mode,
        turn.language,
        turn.session_id,
        turn.user_message_id,
        message_id=message_id,
        faq_ids=outcome.faq_ids,
        confidence=outcome.confidence,
        latency_ms=latency_ms,
        related_questions=outcome.related,
        offer_human=outcome.offer_human,
        choices=outcome.choices,
        more=outcome.more,
        more_ref=outcome.more_ref,
        sources=outcome.sources,
    )
