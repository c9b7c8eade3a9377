"""What the Telegram handlers use, gathered once in ``post_init`` and reached through context.

``build_application`` gets an *opener* (e.g. ``lambda: open_app(settings)``): the model, the
index and the database are opened in ``post_init`` and closed in ``post_shutdown``, so nothing
heavy happens at import or build time and a failed start leaves nothing open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.conversation.exchange import Incoming, Reply
from bot.conversation.handoff import HandoffService
from bot.conversation.texts import Texts, normalize_language
from storage.repositories import users

CHANNEL = "telegram"


class Conversation(Protocol):
    """The part of ``ConversationService`` the channel calls."""

    async def handle(
        self, incoming: Incoming, on_text: Callable[[str], None] | None = None
    ) -> Reply: ...

    async def reset(self, channel: str, user_id: int, chat_id: int) -> bool: ...

    async def set_language(self, channel: str, user_id: int, language: str) -> str | None: ...

    async def record_feedback(
        self, message_id: int, channel: str, user_id: int, rating: int
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class Tuning:
    """Timings of the channel; tests shorten them, production keeps Telegram-friendly ones."""

    edit_interval: float = 1.0  # at most one streaming edit per second per chat
    typing_interval: float = 4.0  # Telegram shows "typing" for about 5 s
    first_chunk_delay: float = 0.3  # a reply done sooner is sent once, without a preview
    max_retries: int = 5  # RetryAfter retries in PTB's rate limiter
    overdue_check_interval: float = 60.0
    example_questions: int = 3


@dataclass(slots=True)
class TelegramServices:
    """The opened application services plus the channel's own state."""

    settings: Settings
    app: Any  # what the opener yielded (bot.app's composition root)
    conversation: Conversation
    session_factory: async_sessionmaker[AsyncSession]
    handoff: HandoffService
    texts: Texts
    admin: Any | None = None  # bot.admin.service.AdminService
    catalog: Any | None = None  # bot.knowledge.catalog.FaqCatalog
    tuning: Tuning = field(default_factory=Tuning)

    @classmethod
    def from_app(cls, settings: Settings, app: Any, tuning: Tuning) -> TelegramServices:
        """Pick what the channel needs from the composition root's object."""
        session_factory = app.session_factory
        texts = getattr(app, "texts", None) or Texts.from_folder(
            settings.prompts_dir / "locales", business_name=settings.business_name
        )
        handoff = HandoffService(
            session_factory,
            channel=CHANNEL,
            session_ttl=timedelta(minutes=settings.session_ttl_minutes),
        )
        return cls(
            settings=settings,
            app=app,
            conversation=app.conversation,
            session_factory=session_factory,
            handoff=handoff,
            texts=texts,
            admin=getattr(app, "admin", None),
            catalog=getattr(app, "catalog", None),
            tuning=tuning,
        )


def services_of(context: ContextTypes.DEFAULT_TYPE) -> TelegramServices:
    """The services opened in ``post_init``."""
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


async def language_of(update: object, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The customer's language: their ``/language`` choice (read from the database once per
    process, then kept in ``user_data``), else Telegram's language code."""
    user = getattr(update, "effective_user", None)
    memory = context.user_data
    if user is not None and memory is not None and "language" not in memory:
        async with services_of(context).session_factory() as db:
            stored = await users.get(session=db, channel=CHANNEL, external_id=user.id)
        memory["language"] = stored.language if stored is not None else None
    chosen = memory.get("language") if memory is not None else None
    if chosen:
        return str(chosen)
    return normalize_language(user.language_code) if user is not None else None
