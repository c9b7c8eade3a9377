"""``supportbot run``: the bot in production, on every channel that is configured.

Telegram when ``SUPPORTBOT_TELEGRAM_TOKEN`` is set, the web chat when ``SUPPORTBOT_WIDGET_PORT``
is set (both in one process and event loop when both are), and the terminal chat only when
neither is, so a fresh ``make run`` answers questions before anyone has talked to @BotFather.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.config import Settings

log = logging.getLogger(__name__)
Opener = Callable[[], AbstractAsyncContextManager[Any]]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the bot: Telegram (SUPPORTBOT_TELEGRAM_TOKEN), the web chat "
        "(SUPPORTBOT_WIDGET_PORT), else a terminal chat",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve customers until interrupted; the admin web console beside them, over the same
    services, when SUPPORTBOT_CONSOLE_PORT is set."""
    from bot.app import open_app

    return serve_channels(settings, lambda: open_app(settings, start_scheduler=True))


def serve_channels(settings: Settings, open_services: Opener) -> int:
    """Every configured channel over what ``open_services`` opens (``run``: every service;
    tests: the same with a scripted engine)."""
    from bot.commands.console_cmd import with_console

    telegram = settings.telegram_token is not None and settings.telegram_token.get_secret_value()
    web = settings.widget_port is not None
    if not telegram:
        opener = with_console(open_services, settings)
        if web:
            from bot.channels.webchat.running import serve_alone

            log.info("starting the web chat only (no SUPPORTBOT_TELEGRAM_TOKEN)")
            asyncio.run(serve_alone(settings, opener=opener))
            return 0
        from bot.commands.chat_cmd import chat_session

        print("No SUPPORTBOT_TELEGRAM_TOKEN set: starting the terminal chat instead.")
        asyncio.run(chat_session(settings, opener=opener))
        return 0
    from bot.channels.telegram.runner import run as run_telegram
    from bot.observability.wiring import observed

    mode = f"webhook at {settings.webhook_url}" if settings.webhook_url else "long polling"
    log.info("starting the Telegram bot (%s)", mode)
    opener = with_console(observed(open_services, settings), settings)
    if not web:
        run_telegram(settings, opener)
        return 0
    # web visitors' hand-offs get tickets in the Telegram support group, and agents' replies
    # there reach the visitors through the web chat's inbox
    from bot.channels.telegram.support_desk import open_desk
    from bot.channels.webchat.messenger import web_messenger
    from bot.channels.webchat.running import with_webchat

    opener = with_webchat(opener, settings, lambda app: open_desk(settings, app.handoff))
    run_telegram(settings, opener, others=lambda app: web_messenger(app, settings))
    return 0
