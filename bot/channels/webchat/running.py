"""The web chat in ``supportbot run``: beside Telegram in its process, or on its own.

``with_webchat(opener, settings)`` wraps the services opener the Telegram channel is given, so
the web chat starts on the bot's own event loop once every service is open and stops before
they close (one model, one database pool for both channels). ``serve_alone`` runs it without
Telegram until SIGINT or SIGTERM, with the health and metrics server when it is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from bot.channels.webchat.server import serving_webchat
from bot.config import Settings

Opener = Callable[[], AbstractAsyncContextManager[Any]]


def with_webchat(opener: Opener, settings: Settings) -> Opener:
    """``opener`` whose services come with the web chat served beside them."""

    @asynccontextmanager
    async def open_with_webchat() -> AsyncIterator[Any]:
        async with opener() as app, serving_webchat(app, settings):
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
