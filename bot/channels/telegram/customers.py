"""Customer-facing handlers: commands, text (new or edited) and everything that is not text.

Each handler is small: it reads the update, calls a use case (conversation, hand-off) and
formats the result. In groups the bot only answers when mentioned or replied to; channel posts
never reach these handlers (see ``application``).
"""

from __future__ import annotations

import logging

from telegram import Chat, InlineKeyboardMarkup, Message, Update

from bot.channels.telegram import relay
from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.keyboards import (
    examples_keyboard,
    forget_keyboard,
    human_keyboard,
    language_keyboard,
)
from bot.channels.telegram.replies import answer, incoming_for
from bot.channels.telegram.sending import send_text
from bot.channels.telegram.services import CHANNEL, Context, language_of, services_of
from bot.channels.telegram.telegram_texts import channel_text

log = logging.getLogger(__name__)
MEDIA_KINDS = (
    "photo",
    "sticker",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "location",
    "contact",
    "animation",
    "venue",
    "poll",
)


async def _say(
    update: Update,
    context: Context,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    await send_text(context.bot, chat.id, split_text(text)[0], reply_markup=markup)


async def start(update: Update, context: Context) -> None:
    """Greet the customer by the business's name and offer a few example questions."""
    services, language = services_of(context), await language_of(update, context)
    lang = language or services.settings.default_language
    examples = await services.conversation.example_questions(
        lang, services.tuning.example_questions
    )
    text = services.texts.get("welcome", lang)
    if examples:
        text += "\n\n" + channel_text("examples_header", lang)
    await _say(update, context, text, examples_keyboard(examples))


async def help_command(update: Update, context: Context) -> None:
    """Explain how to use the bot."""
    await _say(
        update, context, services_of(context).texts.get("help", await language_of(update, context))
    )


async def reset(update: Update, context: Context) -> None:
    """Start a new session (history is kept, but the bot forgets the context)."""
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    await services.accounts.reset(CHANNEL, user.id, chat.id)
    await _say(
        update, context, services.texts.get("reset_done", await language_of(update, context))
    )


async def human(update: Update, context: Context) -> None:
    """Hand the customer to a person."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    await relay.start_handoff(
        context.bot,
        services_of(context),
        user_id=user.id,
        chat_id=chat.id,
        user_name=user.full_name,
        language=await language_of(update, context),
    )


async def back_to_bot(update: Update, context: Context) -> None:
    """``/bot``: the customer leaves the agents and talks to the bot again."""
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    customer = await services.handoff.with_human(user_external_id=user.id, chat_id=chat.id)
    if customer is None:
        await _say(
            update, context, channel_text("not_with_human", await language_of(update, context))
        )
        return
    await relay.finish(context.bot, services, customer.session_id, by_customer=True)


async def forget(update: Update, context: Context) -> None:
    """Ask for confirmation before deleting everything stored about the customer."""
    language = await language_of(update, context)
    await _say(update, context, channel_text("forget_confirm", language), forget_keyboard(language))


async def choose_language(update: Update, context: Context) -> None:
    """Offer the languages the bot has texts for."""
    services = services_of(context)
    await _say(
        update,
        context,
        channel_text("language_choose", await language_of(update, context)),
        language_keyboard(services.texts.languages),
    )


def addressed_text(
    message: Message, chat: Chat, bot_username: str | None, bot_id: int
) -> str | None:
    """The question in a message, or None when a group message is not meant for the bot."""
    text = (message.text or "").strip()
    if chat.type == Chat.PRIVATE:
        return text
    mention = f"@{bot_username}" if bot_username else None
    replied = message.reply_to_message is not None and (
        message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == bot_id
    )
    if mention and mention.lower() in text.lower():
        start_at = text.lower().index(mention.lower())
        return (text[:start_at] + text[start_at + len(mention) :]).strip()
    return text if replied else None


async def text_message(update: Update, context: Context) -> None:
    """Answer a customer's text (an edited message counts as a new question)."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    text = addressed_text(message, chat, context.bot.username, context.bot.id)
    if text is None:
        return
    services = services_of(context)
    incoming = incoming_for(
        user.id, chat.id, text, await language_of(update, context), user.full_name
    )
    reply_to = message.message_id if chat.type != Chat.PRIVATE or update.edited_message else None
    await answer(context.bot, services, incoming, reply_to=reply_to)


async def media_message(update: Update, context: Context) -> None:
    """Photos, stickers, voice…: relayed to the agents during a hand-off, else "text only"."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    if (
        chat.type != Chat.PRIVATE
        and addressed_text(message, chat, context.bot.username, context.bot.id) is None
    ):
        return
    services, language = services_of(context), await language_of(update, context)
    customer = await services.handoff.with_human(user_external_id=user.id, chat_id=chat.id)
    if customer is not None:
        kind = next((k for k in MEDIA_KINDS if getattr(message, k, None)), "media")
        await relay.relay_customer_media(context.bot, services, customer, message, kind)
        return
    offer = human_keyboard(language) if services.settings.support_chat_id is not None else None
    await _say(update, context, services.texts.get("text_only", language), offer)
