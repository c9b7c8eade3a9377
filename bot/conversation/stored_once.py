"""Storing a message once per origin key outside the turn path: a pick's reply, hand-off messages.

``turns.open_turn`` / ``store_reply`` keep a customer's question and the bot's answer once per
update key (see ``origins``). A "did you mean" pick (``choices``) and the messages the hand-off
service stores (``handoff``: a relayed customer message, an agent's reply, the waiting notice)
are stored the same way through ``once``: the work runs in a transaction of its own and is handed
the message of its role already stored under the key, if any, so a replayed update returns the
row an earlier run stored instead of adding a second one. Two runs of one update at once: the
loser's insert fails on the unique ``(origin, role)`` and it runs again, seeing the winner's row.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Message
from storage.repositories import messages

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[AsyncSession, Message | None], Awaitable[T]]


async def once(
    session_factory: async_sessionmaker[AsyncSession], origin: str | None, role: str, work: Work[T]
) -> T:
    """Run ``work`` in one committed transaction, handing it the ``role`` message already stored
    under ``origin`` (None: nothing stored yet, or no key); ``work`` stores its own message under
    ``origin`` only when it was handed None."""
    for attempt in (1, 2):
        try:
            async with session_factory() as s, s.begin():
                kept = None
                if origin is not None:
                    kept = await messages.by_origin(session=s, origin=origin, role=role)
                return await work(s, kept)
        except IntegrityError:
            if origin is None or attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def replays(kept: Message | None, session_id: int, text: str | None = None) -> bool:
    """Is ``kept`` this very message stored by an earlier run (same session, and same text when
    ``text`` is given)? A key holding another message is logged and not replayed: the caller
    then stores its message without a key, never handing out another message's row."""
    if kept is None:
        return False
    if kept.session_id == session_id and (text is None or kept.text == text):
        return True
    log.error("origin %s already holds another message; stored as a new one", kept.origin)
    return False


def key_for(origin: str | None, kept: Message | None) -> str | None:
    """The key to store a new message under: ``origin``, or None when another message has it."""
    return origin if kept is None else None
