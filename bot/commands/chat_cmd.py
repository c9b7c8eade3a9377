"""``supportbot chat``: the terminal chat (what ``make run`` opens when there is no token)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.app import open_app
from bot.channels.console import run_console
from bot.commands.console_cmd import Opener
from bot.config import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "chat", help="chat with the bot in the terminal (/reset starts over, /quit leaves)"
    )
    parser.add_argument("--lang", help="reply language, e.g. en or zh (default: detected)")
    parser.set_defaults(handler=chat)


def chat(args: argparse.Namespace, settings: Settings) -> int:
    """Open every service (scheduler included) and chat on stdin/stdout until /quit."""
    asyncio.run(chat_session(settings, language=args.lang))
    return 0


async def chat_session(
    settings: Settings, *, language: str | None = None, opener: Opener | None = None
) -> int:
    """The terminal chat over a fully opened app (``opener``'s, default ``open_app``);
    returns how many messages were answered."""
    opener = opener or (lambda: open_app(settings, start_scheduler=True))
    async with opener() as app:
        return await run_console(
            app.conversation, stdin=sys.stdin, stdout=sys.stdout, language=language
        )
