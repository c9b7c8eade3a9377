"""``build_application``: the one place where the Telegram bot is assembled.

Handler groups, in the order PTB runs them:
- -2 ``guard_admin``: admin commands/buttons from non-admins stop here (audit-logged);
- -1 ``limit_flood``: a user over the per-minute limit stops here (stored, noticed once);
-  0 everything else, first match wins: admin commands and dialogues, the agents' chat, the
     customers' commands, buttons, text and media.
Updates arrive through the durable inbox (``intake``, ``inbox_worker``): concurrently across
chats and strictly in stored order within a chat, each handled by ``process_update``; outgoing
calls go through ``AIORateLimiter`` and the outbox (``outgoing``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram import (
    admin_dialogue,
    admin_docs,
    admin_faq,
    admin_prompts,
    callbacks,
    console_link,
    customers,
    keyboards,
    relay,
)
from bot.channels.telegram.admin_guard import guard_admin
from bot.channels.telegram.flood_guard import limit_flood
from bot.channels.telegram.flows import InFlow
from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.menus import register_menus
from bot.channels.telegram.ordering import PerChatUpdateProcessor
from bot.channels.telegram.outgoing import was_given_up
from bot.channels.telegram.sending import send_text
from bot.channels.telegram.services import (
    CONTEXT_TYPES,
    BotData,
    Context,
    OtherChannels,
    TelegramServices,
    Tuning,
    language_of,
    services_of,
)
from bot.config import Settings

log = logging.getLogger(__name__)
ServicesOpener = Callable[[], AbstractAsyncContextManager[Any]]
TelegramApplication = Application[Any, Context, Any, Any, BotData, Any]
CUSTOMER_UPDATES = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
ID = r"\d{1,18}"  # button data carries database ids; anything else was not sent by the bot


def build_application(
    settings: Settings,
    services: ServicesOpener,
    *,
    tuning: Tuning | None = None,
    others: OtherChannels | None = None,
) -> TelegramApplication:
    """The bot, every handler registered; services are opened in post_init, closed in
    post_shutdown. ``others`` reaches the customers of other channels whose tickets sit in the
    support group (the web chat's visitors)."""
    if settings.telegram_token is None:
        raise ValueError("SUPPORTBOT_TELEGRAM_TOKEN is not set")
    tuning = tuning or Tuning()

    async def post_init(application: TelegramApplication) -> None:
        await _open_services(application, settings, services, tuning, others)

    base_url = settings.telegram_base_url.rstrip("/")
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=tuning.max_retries))
        .concurrent_updates(PerChatUpdateProcessor())
        .context_types(CONTEXT_TYPES)
        .post_init(post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    register_handlers(application, settings)
    application.add_error_handler(on_error)
    return application


def register_handlers(application: TelegramApplication, settings: Settings) -> None:
    """Every handler, grouped as the module docstring explains."""
    application.add_handler(TypeHandler(Update, guard_admin), group=-2)
    application.add_handler(TypeHandler(Update, limit_flood), group=-1)
    _register_admin(application, settings)
    if settings.support_chat_id is not None:
        _register_agents(application, settings.support_chat_id)
    _register_customers(application)
    # Last: a press whose data matched nothing above (made up, or from an old version).
    application.add_handler(CallbackQueryHandler(_stale_button))


ADMIN_COMMANDS = {
    "faq_list": admin_faq.faq_list,
    "faq_show": admin_faq.faq_show,
    "faq_search": admin_faq.faq_search,
    "faq_add": admin_faq.faq_add,
    "faq_edit": admin_faq.faq_edit,
    "faq_delete": admin_faq.faq_delete,
    "faq_variant": admin_faq.faq_variant,
    "prompt_show": admin_prompts.prompt_show,
    "prompt_set": admin_prompts.prompt_set,
    "prompt_history": admin_prompts.prompt_history,
    "prompt_rollback": admin_prompts.prompt_rollback,
    "stats": admin_prompts.stats,
    "unanswered": admin_prompts.unanswered,
    "docs": admin_docs.docs,
    "docs_sync": admin_docs.docs_sync,
    "console": console_link.console_command,
}
CUSTOMER_COMMANDS = {
    "start": customers.start,
    "help": customers.help_command,
    "reset": customers.reset,
    "human": customers.human,
    "bot": customers.back_to_bot,
    "forget": customers.forget,
    "language": customers.choose_language,
}


def _register_admin(application: TelegramApplication, settings: Settings) -> None:
    """Admin commands, the guided dialogues and the admin buttons."""
    add = application.add_handler
    is_admin = filters.User(settings.admin_ids) if settings.admin_ids else filters.User([0])
    for name, callback in ADMIN_COMMANDS.items():
        add(CommandHandler(name, callback, filters=is_admin & filters.UpdateType.MESSAGE))
    in_flow = InFlow(application.bot_data.flows)
    add(CommandHandler("cancel", admin_dialogue.cancel, filters=in_flow))
    add(CommandHandler("skip", admin_dialogue.skip, filters=in_flow))
    add(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & in_flow & is_admin, admin_dialogue.dialogue_text
        )
    )
    add(
        CallbackQueryHandler(
            admin_dialogue.save_or_cancel, pattern=rf"^{keyboards.FLOW}:(save|cancel)$"
        )
    )
    add(
        CallbackQueryHandler(
            admin_faq.confirm_delete, pattern=rf"^{keyboards.FAQ_DELETE}:({ID}|no)$"
        )
    )
    add(
        CallbackQueryHandler(
            admin_prompts.resolve_unanswered,
            pattern=rf"^{keyboards.UNANSWERED}:(new:[^:]+|var:[^:]+:{ID})$",
        )
    )


def _register_agents(application: TelegramApplication, support_chat_id: int) -> None:
    """The agents' chat: answers to tickets, /reply, /done and the ticket button."""
    add = application.add_handler
    agents = filters.Chat(support_chat_id)
    add(CommandHandler("reply", relay.reply_command, filters=agents))
    add(CommandHandler("done", relay.done_command, filters=agents))
    add(
        MessageHandler(
            agents & filters.REPLY & ~filters.COMMAND & filters.UpdateType.MESSAGE,
            relay.agent_reply,
        )
    )
    add(MessageHandler(agents, _ignore))  # agents talking among themselves
    add(CallbackQueryHandler(relay_done_button, pattern=rf"^{keyboards.DONE}:{ID}$"))


def _register_customers(application: TelegramApplication) -> None:
    """Customers' commands, buttons, text and media."""
    add = application.add_handler
    for name, callback in CUSTOMER_COMMANDS.items():
        add(CommandHandler(name, callback, filters=filters.UpdateType.MESSAGE))
    add(CallbackQueryHandler(callbacks.feedback, pattern=rf"^{keyboards.FEEDBACK}:[+-]1:{ID}$"))
    add(CallbackQueryHandler(callbacks.ask_example, pattern=rf"^{keyboards.ASK}:{ID}$"))
    add(CallbackQueryHandler(callbacks.ask_human, pattern=rf"^{keyboards.HUMAN}$"))
    add(CallbackQueryHandler(callbacks.answer_button, pattern=rf"^(pick|more):{ID}:[\d.]*$"))
    add(CallbackQueryHandler(callbacks.confirm_forget, pattern=rf"^{keyboards.FORGET}:(yes|no)$"))
    add(
        CallbackQueryHandler(
            callbacks.set_language, pattern=rf"^{keyboards.LANGUAGE}:[A-Za-z-]{{2,16}}$"
        )
    )
    add(MessageHandler(CUSTOMER_UPDATES & filters.TEXT & ~filters.COMMAND, customers.text_message))
    add(
        MessageHandler(
            filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
            customers.media_message,
        )
    )


async def relay_done_button(update: Update, context: Context) -> None:
    """✅ on a ticket (only honoured in the support chat)."""
    support_chat_id = services_of(context).settings.support_chat_id
    if update.effective_chat is not None and update.effective_chat.id == support_chat_id:
        await callbacks.ticket_done(update, context)


async def _stale_button(update: Update, context: Context) -> None:
    """A button the bot does not know (never sent by it, or from an old version): say so."""
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer("This button no longer works.")


async def _ignore(update: Update, context: Context) -> None:
    """Messages in the agents' chat that are not for the bot."""


async def _open_services(
    application: TelegramApplication,
    settings: Settings,
    opener: ServicesOpener,
    tuning: Tuning,
    others: OtherChannels | None,
) -> None:
    """post_init: open the model, index and database once, publish the menus, start the
    hand-off timer."""
    stack = AsyncExitStack()
    try:
        app = await stack.enter_async_context(opener())
        services = TelegramServices.from_app(settings, app, tuning, others)
    except BaseException:
        await stack.aclose()
        raise
    application.bot_data.services, application.bot_data.exit_stack = services, stack
    await register_menus(application, services)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            relay.overdue_job,
            interval=services.tuning.overdue_check_interval,
            first=services.tuning.overdue_check_interval,
            name="handoff-overdue",
        )
    log.info("telegram bot @%s ready", application.bot.username)


async def _post_shutdown(application: TelegramApplication) -> None:
    """Close what post_init opened."""
    stack, application.bot_data.exit_stack = application.bot_data.exit_stack, None
    if stack is not None:
        await stack.aclose()


async def on_error(update: object, context: Context) -> None:
    """Log the failure; tell a customer something went wrong rather than stay silent."""
    network = isinstance(context.error, NetworkError) and not isinstance(context.error, BadRequest)
    if update is None and (network or isinstance(context.error, TimedOut)):
        # Polling while Telegram (or the network) is unreachable: PTB retries by itself.
        log.warning("Telegram unreachable, retrying: %s", context.error)
        return
    if was_given_up(context.error):  # one ERROR line said so; Telegram refuses this chat
        return
    log.error("handling an update failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    services = context.bot_data.services
    if services is None or update.effective_chat.id == services.settings.support_chat_id:
        return
    text = services.texts.get("error", await language_of(update, context))
    try:
        await send_text(context.bot, update.effective_chat.id, split_text(text)[0])
    except Exception:  # the error handler must never raise
        log.debug("could not send the error notice", exc_info=True)
