"""What the Telegram handlers use, gathered once in ``post_init`` and reached through context.

``build_application`` gets an *opener* (e.g. ``lambda: open_app(settings)``): the model, the
index and the database are opened in ``post_init`` and closed in ``post_shutdown``, so nothing
heavy happens at import or build time and a failed start leaves nothing open. The channel only
ever calls services (conversation, customer accounts, hand-off, admin): it never opens a
database transaction itself.

``bot_data`` is typed (PTB's ``ContextTypes``, see PTB's ``examples/contexttypesbot.py``):
handlers take a ``Context`` and reach the services with ``services_of(context)``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.admin import AdminService
from bot.channels.telegram.answers import AnsweredOnce
from bot.channels.telegram.flood import FloodControl
from bot.channels.telegram.flows import FlowStore
from bot.config import Settings
from bot.conversation import (
    ChannelMessenger,
    CustomerAccounts,
    HandoffService,
    Incoming,
    Reply,
    Texts,
    normalize_language,
)
from bot.delivery import DeliveryService, KeptState

CHANNEL = "telegram"
# Telegram chat ids have at most 52 significant bits (Bot API, "Chat"): any other id in a
# hand-off is another channel's customer, reached through ``TelegramServices.other_channels``.
TELEGRAM_CHAT_ID_BOUND = 1 << 52
# What the composition root gives the channel to reach other channels' customers (the web
# chat's visitors whose tickets sit in the support group), given the opened app.
OtherChannels = Callable[[Any], ChannelMessenger | None]


def is_telegram_chat(chat_id: int) -> bool:
    """True for ids Telegram can give a chat; the web chat's visitor ids lie far above."""
    return abs(chat_id) < TELEGRAM_CHAT_ID_BOUND


class Conversation(Protocol):
    """The part of ``ConversationService`` the channel calls."""

    accounts: CustomerAccounts

    async def handle(
        self, incoming: Incoming, on_text: Callable[[str], None] | None = None
    ) -> Reply: ...

    async def record_rate_limited(self, incoming: Incoming, notice: str | None) -> None: ...

    async def example_questions(self, language: str, limit: int) -> list[tuple[int, str]]: ...

    async def example_question(self, entry_id: int) -> str | None: ...


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
    accounts: CustomerAccounts
    handoff: HandoffService
    texts: Texts
    admin: AdminService
    flood: FloodControl
    delivery: DeliveryService
    kept: KeptState  # dialogues, offered buttons and flood counters across restarts
    tuning: Tuning = field(default_factory=Tuning)
    other_channels: ChannelMessenger | None = None  # customers of other channels (the web chat)

    @classmethod
    def from_app(
        cls, settings: Settings, app: Any, tuning: Tuning, others: OtherChannels | None = None
    ) -> TelegramServices:
        """Pick what the channel needs from the composition root's object."""
        return cls(
            settings=settings,
            app=app,
            conversation=AnsweredOnce(app.conversation),
            accounts=app.conversation.accounts,
            handoff=app.handoff,
            texts=app.texts,
            admin=app.admin,
            flood=FloodControl(settings.rate_limit_per_minute),
            delivery=DeliveryService(
                app.session_factory, channel=CHANNEL, holder=instance_holder(settings)
            ),
            kept=KeptState(app.session_factory, channel=CHANNEL),
            tuning=tuning,
            other_channels=others(app) if others is not None else None,
        )


def instance_holder(settings: Settings) -> str:
    """Who claims inbox items: the same name across restarts of one instance, so a restart
    takes back what the run before it held (``SUPPORTBOT_INSTANCE_NAME``, else the host)."""
    return getattr(settings, "instance_name", None) or socket.gethostname()


@dataclass(slots=True)
class BotData:
    """PTB's ``bot_data``: the state the running bot shares between all chats."""

    flows: FlowStore = field(default_factory=FlowStore)  # admin dialogues in progress
    unanswered: dict[str, list[int]] = field(default_factory=dict)  # /unanswered buttons
    services: TelegramServices | None = None  # opened in post_init
    exit_stack: AsyncExitStack | None = None  # closes what post_init opened
    runtime: Any = None  # the running lifecycle.BotRuntime (intake and inbox worker)


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)


def services_of_application(application: Any) -> TelegramServices:
    """The services the running application opened in ``post_init``."""
    services = application.bot_data.services
    if services is None:
        raise RuntimeError("the Telegram channel's services are not open (post_init)")
    return services  # type: ignore[no-any-return]


def services_of(context: Context) -> TelegramServices:
    """The services opened in ``post_init``."""
    services = context.bot_data.services
    if services is None:
        raise RuntimeError("the Telegram channel's services are not open (post_init)")
    return services


async def language_of(update: object, context: Context) -> str | None:
    """The customer's language: their ``/language`` choice (read from the database once per
    process, then kept in ``user_data``), else Telegram's language code."""
    user = getattr(update, "effective_user", None)
    memory = context.user_data
    if user is not None and memory is not None and "language" not in memory:
        memory["language"] = await services_of(context).accounts.language_of(CHANNEL, user.id)
    chosen = memory.get("language") if memory is not None else None
    if chosen:
        return str(chosen)
    return normalize_language(user.language_code) if user is not None else None
