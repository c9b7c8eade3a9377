"""Customer and agent button taps (callback queries); admin buttons live with admin commands.

Every tap is answered (``answerCallbackQuery``) so the client stops its spinner, even when the
button is stale (a deleted message, a finished ticket).
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.channels.telegram import keyboards, relay
from bot.channels.telegram.answers import update_origin
from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.keyboards import human_keyboard
from bot.channels.telegram.replies import answer, incoming_for, reply_keyboard
from bot.channels.telegram.sending import send_text
from bot.channels.telegram.services import CHANNEL, Context, language_of, services_of
from bot.channels.telegram.telegram_texts import channel_text
from bot.conversation.exchange import parse_entry_ref

log = logging.getLogger(__name__)


async def feedback(update: Update, context: Context) -> None:
    """👍 / 👎 on an answer: stored; a 👎 offers a person."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, rating, message_id = query.data.split(":")
    services, language = services_of(context), await language_of(update, context)
    stored = await services.accounts.record_feedback(
        int(message_id), CHANNEL, query.from_user.id, int(rating)
    )
    await query.answer(services.texts.get("feedback_thanks", language) if stored else None)
    agents = services.settings.support_chat_id is not None
    if stored and int(rating) < 0 and agents and query.message is not None:
        await send_text(
            context.bot,
            query.message.chat.id,
            split_text(channel_text("feedback_sorry", language))[0],
            reply_markup=human_keyboard(language),
        )


async def ask_example(update: Update, context: Context) -> None:
    """An example question from /start was tapped: answer it as if it had been typed."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    await query.answer()
    services = services_of(context)
    question = await services.conversation.example_question(int(query.data.split(":")[1]))
    if question is None:
        return
    user = query.from_user
    incoming = incoming_for(
        user.id,
        query.message.chat.id,
        question,
        await language_of(update, context),
        user.full_name,
    )
    await answer(context.bot, services, incoming)


async def ask_human(update: Update, context: Context) -> None:
    """The "talk to a person" button."""
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    user = query.from_user
    await relay.start_handoff(
        context.bot,
        services_of(context),
        user_id=user.id,
        chat_id=query.message.chat.id,
        user_name=user.full_name,
        language=await language_of(update, context),
    )


async def confirm_forget(update: Update, context: Context) -> None:
    """/forget confirmed (or cancelled): delete every stored row of this user and say what."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services, language = services_of(context), await language_of(update, context)
    await query.answer()
    if not query.data.endswith(":yes"):
        await query.edit_message_text(channel_text("forget_cancelled", language))
        return
    counts = await services.accounts.forget(CHANNEL, query.from_user.id)
    services.flood.forget(query.from_user.id)
    if context.user_data is not None:
        context.user_data.clear()
    log.info("forgot telegram user %s: %s", query.from_user.id, counts)
    if counts is None:
        await query.edit_message_text(channel_text("forget_nothing", language))
    else:
        await query.edit_message_text(channel_text("forget_done", language, **counts))


async def set_language(update: Update, context: Context) -> None:
    """A language was chosen: remember it and confirm in that language."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    services = services_of(context)
    code = await services.accounts.set_language(
        CHANNEL, query.from_user.id, query.data.split(":", 1)[1]
    )
    if code is None:
        return
    if context.user_data is not None:
        context.user_data["language"] = code
    await query.edit_message_text(services.texts.get("language_set", code))


async def ticket_done(update: Update, context: Context) -> None:
    """The ✅ button on a ticket in the support chat."""
    query = update.callback_query
    assert query is not None and query.data is not None
    finished = await relay.finish(context.bot, services_of(context), int(query.data.split(":")[1]))
    await query.answer("Handed back to the bot." if finished else "This ticket is already closed.")


async def answer_button(update: Update, context: Context) -> None:
    """A "did you mean" choice (``pick:``) or a "More" button (``more:``) was tapped."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if query.data.startswith(f"{keyboards.PICK}:"):
        await pick_choice(update, context)
    else:
        await more(update, context)


async def pick_choice(update: Update, context: Context) -> None:
    """One tap on an offered entry: it answers the customer's question (and is remembered)."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    await query.answer()
    _, question_id, entry_id = query.data.split(":")
    services = services_of(context)
    reply = await services.conversation.choices.choose(
        CHANNEL,
        query.from_user.id,
        int(question_id),
        parse_entry_ref(entry_id),
        origin=update_origin("pick"),
    )
    if reply is None:
        return
    agents = services.settings.support_chat_id is not None
    label = services.texts.get("more_button", reply.language)
    parts = split_text(reply.text)
    for number, part in enumerate(parts, start=1):
        markup = (
            reply_keyboard(reply, agents=agents, more_label=label) if number == len(parts) else None
        )
        await send_text(context.bot, query.message.chat.id, part, reply_markup=markup)


async def more(update: Update, context: Context) -> None:
    """The "More" button: the rest of the entry a focused answer came from."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    await query.answer()
    _, entry_id, positions = query.data.split(":")
    lead = tuple(int(p) for p in positions.split(".") if p.isdigit())
    rest = await services_of(context).conversation.choices.rest_of(parse_entry_ref(entry_id), lead)
    if rest:
        for part in split_text(rest):
            await send_text(context.bot, query.message.chat.id, part)
