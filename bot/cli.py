"""The ``supportbot`` command line: parses arguments, loads Settings once, runs a subcommand.

Each subcommand group lives in its own module under ``bot.commands`` and registers itself with
``register(subparsers)``; a handler receives the parsed arguments and the Settings and returns
the exit status. Invalid configuration is one clear line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.commands import COMMAND_MODULES
from bot.config import ConfigError, UserFacingError, load_settings
from bot.observability.logs import make_handler

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="supportbot",
        description="Self-hosted customer-service bot: FAQ answers, a local model, Telegram.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def configure_logging(level: str, log_format: str = "text") -> None:
    """One log format for every command (text, or JSON lines for collectors), on stderr.

    Either way each line carries the chat/message/request ids bound with
    ``bot.observability.logs.log_context`` and bot tokens are masked.
    """
    logging.basicConfig(level=level, handlers=[make_handler(log_format, sys.stderr)])
    for noisy in ("httpx", "httpcore", "apscheduler", "jieba", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``supportbot`` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"supportbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level, settings.log_format)
    try:
        return int(args.handler(args, settings) or 0)
    except UserFacingError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # ``python -m bot.cli`` as well as ``python -m bot``
    raise SystemExit(main())
