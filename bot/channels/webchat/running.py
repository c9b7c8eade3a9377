"""The web chat in ``supportbot run``: beside Telegram in its process, or on its own.

``with_webchat(opener, settings, desk)`` wraps the services opener the Telegram channel is
given, so the web chat starts on the bot's own event loop once every service is open and stops
before they close (one model, one database pool for both channels); ``desk`` posts web
visitors' hand-offs to the Telegram support group. ``serve_alone`` runs it without
Telegram until SIGINT or SIGTERM, with the health and metrics server when it is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from bot.channels.webchat.desk import AgentDesk, DeskOpener
from bot.channels.webchat.server import serving_webchat
from bot.config import Settings

Opener = Callable[[], AbstractAsyncContextManager[Any]]


def with_webchat(opener: Opener, settings: Settings, desk: DeskOpener | None = None) -> Opener:
    """``opener`` whose services come with the web chat served beside them; ``desk`` opens
    the agents' desk over those services (the Telegram support group)."""

    def no_desk(_: Any) -> AbstractAsyncContextManager[AgentDesk | None]:
        return nullcontext(None)

    @asynccontextmanager
    async def open_with_webchat() -> AsyncIterator[Any]:
        async with (
            opener() as app,
            (desk or no_desk)(app) as agents,
            serving_webchat(app, settings, desk=agents),
        ):
            yield app

    return open_with_webchat


async def serve_alone(
    settings: Settings, stop: asyncio.Event | None = None, opener: Opener | None = None
) -> None:
    """Every service (``opener``'s, default ``open_app``) and the web chat, until SIGINT/SIGTERM
    (or ``stop`` is set)."""
    from bot.app import open_app
    from bot.observability.wiring import serving_operations

    opener = opener or (lambda: open_app(settings, start_scheduler=True))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
    async with (
        opener() as app,
        serving_operations(app),
        serving_webchat(app, settings),
    ):
        await stop.wait()
