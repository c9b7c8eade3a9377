"""``supportbot run``: the bot in production — Telegram when a token is set, else the terminal.

Without ``SUPPORTBOT_TELEGRAM_TOKEN`` the same pipeline is served as a terminal chat, so a fresh
``make run`` answers questions before anyone has talked to @BotFather.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from bot.config import Settings

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the bot: Telegram when SUPPORTBOT_TELEGRAM_TOKEN is set, else a terminal chat",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve customers until interrupted."""
    from bot.commands.console_cmd import start_beside_bot

    start_beside_bot(settings)  # the admin web console, when SUPPORTBOT_CONSOLE_PORT is set
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        from bot.commands.chat_cmd import chat_session

        print("No SUPPORTBOT_TELEGRAM_TOKEN set: starting the terminal chat instead.")
        asyncio.run(chat_session(settings))
        return 0
    from bot.channels.telegram.runner import default_opener
    from bot.channels.telegram.runner import run as run_telegram
    from bot.observability.wiring import observed

    mode = f"webhook at {settings.webhook_url}" if settings.webhook_url else "long polling"
    log.info("starting the Telegram bot (%s)", mode)
    run_telegram(settings, observed(default_opener(settings), settings))
    return 0
