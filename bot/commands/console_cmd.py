"""``supportbot console`` (the admin web console on its own) and ``supportbot console-link``
(print a one-time login link for an admin). ``supportbot run`` serves the same console beside
the bot when ``SUPPORTBOT_CONSOLE_PORT`` is set (``with_console``): on the bot's own event loop
and over the bot's own services, so the process holds one set of encoders, one FAQ index and
one database pool. (It used to open a second app in a thread: a second copy of the encoders and
the index, about 600 MB with the default ones, kept in step only through the database.)"""

from __future__ import annotations

import argparse
import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from bot.config import Settings, UsageError

log = logging.getLogger(__name__)
Opener = Callable[[], AbstractAsyncContextManager[Any]]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "console", help="serve the admin web console (SUPPORTBOT_CONSOLE_LISTEN:PORT)"
    )
    parser.set_defaults(handler=console)
    link = subparsers.add_parser(
        "console-link", help="print a one-time login link to the web console for an admin"
    )
    link.add_argument("admin_id", type=int, help="Telegram user id from SUPPORTBOT_ADMIN_IDS")
    link.set_defaults(handler=console_link)


async def serve_console(settings: Settings, stop: threading.Event | None = None) -> None:
    """Open the services (no model: the console never generates) and serve until stopped."""
    from bot.app import open_app

    async with open_app(settings, load_model=False, import_demo=False) as app:
        await _serve_over(app, settings, stop)


async def _serve_over(app: Any, settings: Settings, stop: threading.Event | None) -> None:
    """The console over ``app``'s services (and its way to customers) until ``stop``."""
    from bot.channels.telegram.console_port import open_messenger
    from bot.channels.web import ConsoleServices
    from bot.channels.web.server import serve
    from bot.channels.webchat.messenger import reaching_web_visitors

    async with open_messenger(settings) as telegram:
        messenger = reaching_web_visitors(app, settings, telegram)
        await serve(ConsoleServices.from_app(app, settings, messenger), stop)


@asynccontextmanager
async def serving_console(app: Any, settings: Settings) -> AsyncIterator[None]:
    """The console over ``app`` (the bot's own ``App``) on this event loop while the block
    runs; nothing when SUPPORTBOT_CONSOLE_PORT is unset. A console that cannot start (its port
    taken) is logged and the bot goes on without it."""
    if settings.console_port is None:
        yield
        return
    stop = threading.Event()

    async def run() -> None:
        try:
            await _serve_over(app, settings, stop)
        except (Exception, SystemExit):  # uvicorn exits the process when it cannot bind
            log.exception("the admin console stopped")

    task = asyncio.create_task(run(), name="admin-console")
    try:
        yield
    finally:
        stop.set()
        await task


def with_console(opener: Opener, settings: Settings) -> Opener:
    """``opener`` whose services come with the console served over them (see the module)."""

    @asynccontextmanager
    async def open_with_console() -> AsyncIterator[Any]:
        async with opener() as app, serving_console(app, settings):
            yield app

    return open_with_console


def console(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the console in the foreground."""
    if not settings.admin_ids:
        raise UsageError("SUPPORTBOT_ADMIN_IDS: nobody could sign in to the console")
    settings = settings.model_copy(update={"console_port": settings.console_port or 8080})
    print(f"Admin console on http://{settings.console_listen}:{settings.console_port}")
    asyncio.run(serve_console(settings))
    return 0


async def _issue(settings: Settings, admin_id: int) -> str:
    from bot.admin.console_logins import ConsoleLogins, LoginRefused
    from bot.app import open_database

    async with open_database(settings) as (_, session_factory):
        try:
            return await ConsoleLogins.from_settings(settings, session_factory).issue_link(admin_id)
        except LoginRefused as refused:
            raise UsageError(refused.reason) from None


def console_link(args: argparse.Namespace, settings: Settings) -> int:
    """Print a login link valid for SUPPORTBOT_CONSOLE_LINK_MINUTES, usable once."""
    print(asyncio.run(_issue(settings, args.admin_id)))
    return 0
