"""Who may administer: a ``TypeHandler`` at group -2 that stops anyone else's admin request.

Admin commands and admin buttons from a user who is not in ``SUPPORTBOT_ADMIN_IDS`` get "not
allowed" and an audit log line, and the update stops there, so no admin handler ever runs for
them. Admins' own commands are audit-logged too.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.channels.telegram.keyboards import ADMIN_PREFIXES
from bot.channels.telegram.services import Context, services_of

audit = logging.getLogger("supportbot.audit")
ADMIN_COMMANDS = (
    "faq_list",
    "faq_show",
    "faq_search",
    "faq_add",
    "faq_edit",
    "faq_delete",
    "faq_variant",
    "prompt_show",
    "prompt_set",
    "prompt_history",
    "prompt_rollback",
    "stats",
    "unanswered",
    "docs",
    "docs_sync",
    "console",
)
NOT_ALLOWED = "⛔ Not allowed: this command is for administrators."


def command_of(text: str | None) -> str | None:
    """``/faq_add@bot args`` -> ``faq_add``; None when the text is not a command."""
    if not text or not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else None


def requested_admin_action(update: Update) -> str | None:
    """The admin command or admin button this update asks for, if any."""
    message = update.message or update.edited_message
    if message is not None:
        command = command_of(message.text)
        return f"/{command}" if command in ADMIN_COMMANDS else None
    query = update.callback_query
    if query is not None and query.data and query.data.split(":", 1)[0] in ADMIN_PREFIXES:
        return f"button {query.data}"
    return None


async def guard_admin(update: Update, context: Context) -> None:
    """Let admins through (logged); refuse everyone else (logged), and stop the update."""
    if not isinstance(update, Update):
        return
    action = requested_admin_action(update)
    if action is None:
        return
    user, chat = update.effective_user, update.effective_chat
    user_id = user.id if user is not None else None
    chat_id = chat.id if chat is not None else None
    if user_id is not None and user_id in services_of(context).settings.admin_ids:
        audit.info("admin %s in chat %s: %s", user_id, chat_id, action)
        return
    audit.warning("refused %s from non-admin user %s in chat %s", action, user_id, chat_id)
    if update.callback_query is not None:
        await update.callback_query.answer(NOT_ALLOWED, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(NOT_ALLOWED)
    raise ApplicationHandlerStop
