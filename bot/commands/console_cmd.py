"""``supportbot console`` (the admin web console on its own) and ``supportbot console-link``
(print a one-time login link for an admin). ``supportbot run`` starts the same console in a
thread beside the bot when ``SUPPORTBOT_CONSOLE_PORT`` is set (``start_beside_bot``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import threading
from typing import Any

from bot.config import Settings, UsageError

log = logging.getLogger(__name__)
OPEN_ATTEMPTS = 3
RETRY_SECONDS = 2.0


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
    from bot.channels.telegram.console_port import open_messenger
    from bot.channels.web import ConsoleServices
    from bot.channels.web.server import serve
    from bot.channels.webchat.messenger import reaching_web_visitors

    async with (
        open_app(settings, load_model=False, import_demo=False) as app,
        open_messenger(settings) as telegram,
    ):
        messenger = reaching_web_visitors(app, settings, telegram)
        await serve(ConsoleServices.from_app(app, settings, messenger), stop)


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


def start_beside_bot(settings: Settings) -> threading.Event | None:
    """Serve the console in a daemon thread with its own event loop and services (the bot's
    loop stays PTB's); returns the event that stops it, None when SUPPORTBOT_CONSOLE_PORT is
    unset. The console opens its own services (no model) over the same database: FAQ edits
    reach the bot's index through ``FaqCatalog.sync`` as edits from the CLI do."""
    if settings.console_port is None:
        return None
    stop = threading.Event()

    def run() -> None:
        # On the very first start the bot migrates the same new database at the same moment;
        # a failed open is retried, once the bot's migration has had time to finish.
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                asyncio.run(serve_console(settings, stop))
                return
            except Exception:
                if attempt == OPEN_ATTEMPTS or stop.wait(RETRY_SECONDS):
                    log.exception("the admin console stopped")
                    return
                log.warning("the admin console could not start; retrying", exc_info=True)

    threading.Thread(target=run, name="admin-console", daemon=True).start()
    return stop
