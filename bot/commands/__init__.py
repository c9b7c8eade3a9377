"""Subcommand modules of the ``supportbot`` CLI; each exposes ``register(subparsers)``."""

from __future__ import annotations

from types import ModuleType

from bot.commands import (
    ask_cmd,
    chat_cmd,
    cleanup_cmd,
    config_cmd,
    console_cmd,
    db_cmd,
    docs_cmd,
    eval_cmd,
    faq_cmd,
    run_cmd,
    status_cmd,
)

COMMAND_MODULES: tuple[ModuleType, ...] = (
    run_cmd,
    chat_cmd,
    ask_cmd,
    faq_cmd,
    docs_cmd,
    eval_cmd,
    cleanup_cmd,
    config_cmd,
    db_cmd,
    status_cmd,
    console_cmd,
)
