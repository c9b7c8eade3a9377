"""The customer's own account: start over, choose a language, rate a reply, be forgotten.

``CustomerAccounts`` is what a channel calls for a customer's commands that are not questions
(``/reset``, ``/language``, the 👍/👎 buttons, ``/forget``). Customers are addressed as the
channel knows them: the channel's name and the user's id there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation.texts import Texts, normalize_language
from storage.models import utcnow
from storage.repositories import feedback, messages, sessions, users


class CustomerAccounts:
    """A customer's account operations, each in its own transaction."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        texts: Texts,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session_factory = session_factory
        self.texts = texts
        self.clock = clock

    async def reset(self, channel: str, user_id: int, chat_id: int) -> bool:
        """End the customer's current session (``/reset``); False when there was none."""
        async with self.session_factory() as s, s.begin():
            user = await users.get(session=s, channel=channel, external_id=user_id)
            if user is None:
                return False
            chat = await sessions.current(session=s, user_id=user.id, chat_id=chat_id)
            if chat is None:
                return False
            await sessions.end(session=s, chat=chat, now=self.clock())
            return True

    async def set_language(self, channel: str, user_id: int, language: str) -> str | None:
        """Remember the customer's language; None when the bot has no texts for it."""
        code = normalize_language(language)
        if code is None or not self.texts.supports(code):
            return None
        async with self.session_factory() as s, s.begin():
            user = await users.get_or_create(session=s, channel=channel, external_id=user_id)
            await users.set_language(session=s, user=user, language=code)
        return code

    async def language_of(self, channel: str, user_id: int) -> str | None:
        """The language the customer chose (``/language``), None when they never chose one."""
        async with self.session_factory() as s:
            user = await users.get(session=s, channel=channel, external_id=user_id)
        return user.language if user is not None else None

    async def record_feedback(
        self, message_id: int, channel: str, user_id: int, rating: int
    ) -> bool:
        """Store a 👍 (+1) / 👎 (-1) on one of this customer's bot replies."""
        async with self.session_factory() as s, s.begin():
            user = await users.get(session=s, channel=channel, external_id=user_id)
            message = await messages.get(session=s, message_id=message_id)
            if user is None or message is None or message.role != "assistant":
                return False
            chat = await messages.session_of(session=s, message_id=message_id)
            if chat is None or chat.user_id != user.id:
                return False
            await feedback.record(
                session=s, message_id=message_id, user_id=user.id, rating=1 if rating > 0 else -1
            )
            return True

    async def forget(self, channel: str, user_id: int) -> dict[str, int] | None:
        """Delete the customer and everything stored about them (``/forget``).

        Returns how many rows of each kind went (``messages``, ``sessions``, ``feedback``), or
        None when nothing was stored about them.
        """
        async with self.session_factory() as s, s.begin():
            user = await users.get(session=s, channel=channel, external_id=user_id)
            if user is None:
                return None
            return await users.forget(session=s, user_id=user.id)
