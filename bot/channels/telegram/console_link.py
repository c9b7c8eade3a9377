"""``/console``: an admin gets a one-time login link to the web console in their private chat.

The link is sent only in a private chat (never into a group where others could use it first),
expires after SUPPORTBOT_CONSOLE_LINK_MINUTES and works once.
"""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatType

from bot.admin.console_logins import ConsoleLogins, LoginRefused
from bot.channels.telegram.services import Context, services_of


async def console_command(update: Update, context: Context) -> None:
    """Reply with a one-time console login link (admins, private chat only)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if message.chat.type != ChatType.PRIVATE:
        await message.reply_text("Ask me for /console in our private chat.")
        return
    services = services_of(context)
    settings = services.settings
    if settings.console_port is None and not settings.console_url:
        await message.reply_text("The web console is off (set SUPPORTBOT_CONSOLE_PORT).")
        return
    logins = ConsoleLogins.from_settings(settings, services.admin.session_factory)
    try:
        link = await logins.issue_link(user.id)
    except LoginRefused as refused:
        await message.reply_text(refused.reason)
        return
    minutes = settings.console_link_minutes
    await message.reply_text(
        f"Your console login link (valid {minutes} minutes, works once):\n{link}",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
