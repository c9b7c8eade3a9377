"""The command menus Telegram shows (``setMyCommands``): customers, admins and agents.

Customers get their list in every language the bot speaks; each admin's private chat gets the
admin commands too (``BotCommandScopeChat``), and the support chat gets the agents' commands.
A failure here (e.g. an admin who never opened the bot) is logged, never fatal.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application

from bot.channels.telegram.services import TelegramServices
from bot.channels.telegram.telegram_texts import CHANNEL_TEXTS, channel_text

log = logging.getLogger(__name__)
CUSTOMER_COMMANDS = ("start", "help", "reset", "human", "language", "forget")
ADMIN_COMMANDS = (
    ("faq_list", "List FAQ entries [page]"),
    ("faq_show", "Show one entry: ID"),
    ("faq_search", "What a question would match: TEXT"),
    ("faq_add", "Add an entry (guided)"),
    ("faq_edit", "Edit an entry field by field: ID"),
    ("faq_delete", "Delete an entry: ID"),
    ("faq_variant", "Add a phrasing: ID TEXT"),
    ("prompt_show", "Show the system prompt"),
    ("prompt_set", "Set the system prompt (previewed)"),
    ("prompt_history", "System prompt revisions"),
    ("prompt_rollback", "Restore a revision: REV"),
    ("stats", "Statistics [days]"),
    ("unanswered", "Questions without a confident answer"),
    ("docs", "Help-centre documents and their state"),
    ("docs_sync", "Fetch the documents again [ID]"),
    ("console", "One-time login link to the web console"),
)
AGENT_COMMANDS = (
    ("reply", "Answer a customer: TICKET TEXT (or reply to the ticket)"),
    ("done", "Hand the customer back to the bot: TICKET"),
)


def customer_commands(language: str) -> list[BotCommand]:
    return [BotCommand(name, channel_text(f"cmd_{name}", language)) for name in CUSTOMER_COMMANDS]


async def register_menus(application: Application, services: TelegramServices) -> None:
    """Publish every menu; each scope on its own so one failure does not hide the others."""
    bot, settings = application.bot, services.settings
    calls = [(customer_commands("en"), BotCommandScopeDefault(), None)]
    calls += [
        (customer_commands(lang), BotCommandScopeDefault(), lang)
        for lang in CHANNEL_TEXTS
        if lang != "en"
    ]
    admin_extra = [BotCommand(n, d) for n, d in ADMIN_COMMANDS]
    for admin in settings.admin_ids:
        calls.append((customer_commands("en") + admin_extra, BotCommandScopeChat(admin), None))
        calls += [
            (customer_commands(lang) + admin_extra, BotCommandScopeChat(admin), lang)
            for lang in CHANNEL_TEXTS
            if lang != "en"
        ]
    if settings.support_chat_id is not None:
        agent_menu = [BotCommand(n, d) for n, d in AGENT_COMMANDS]
        calls.append((agent_menu, BotCommandScopeChat(settings.support_chat_id), None))
    for commands, scope, language in calls:
        try:
            await bot.set_my_commands(commands, scope=scope, language_code=language)
        except TelegramError as exc:
            log.warning("could not set the %s command menu: %s", scope.type, exc)
