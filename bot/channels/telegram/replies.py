"""Turning a ``Reply`` into Telegram messages and answering one customer text.

Shared by typed messages, edited messages and tapped example questions: the conversation
service stores and answers, ``ReplyStream`` shows it while it is generated, and the mode decides
what follows (buttons, a hand-off, or a relay to the agents when a person has the chat). A
focused answer gets a "More" button for the rest of its entry; "did you mean" choices are
buttons (see ``callbacks.pick_choice``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.channels.telegram import relay
from bot.channels.telegram.formatting import (
    Block,
    OutgoingText,
    bold,
    escape,
    paragraphs,
    split_blocks,
    split_text,
)
from bot.channels.telegram.keyboards import (
    choice_rows,
    feedback_keyboard,
    human_keyboard,
    more_row,
    source_rows,
)
from bot.channels.telegram.sending import send_text
from bot.channels.telegram.services import CHANNEL, TelegramServices
from bot.channels.telegram.streaming import ReplyStream
from bot.channels.telegram.telegram_texts import channel_text
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from bot.conversation.smalltalk import wants_human

log = logging.getLogger(__name__)
RATED_MODES = {AnswerMode.FAQ, AnswerMode.GENERATED, AnswerMode.FALLBACK}


def render_reply(reply: Reply, services: TelegramServices) -> list[OutgoingText]:
    """The reply's text (escaped) with its related questions as a bold-headed list."""
    blocks = paragraphs(reply.text) or [Block(reply.text or "…")]
    if reply.related_questions:
        header = services.texts.get("related_header", reply.language)
        items = [f"• {q}" for q in reply.related_questions]
        plain = "\n".join([header, *items])
        html = "\n".join([bold(header), *(escape(i) for i in items)])
        blocks.append(Block(plain, html))
    return split_blocks(blocks)


def reply_keyboard(
    reply: Reply, *, agents: bool = True, more_label: str = "More"
) -> InlineKeyboardMarkup | None:
    """Buttons under a reply: "did you mean" choices (one tap sends that entry), "More" under a
    focused answer, 👍/👎 under answers worth rating, and "talk to a person" when the reply
    offers one and there are ``agents`` (a support chat) to talk to."""
    offer = reply.offer_human and agents
    rows = []
    if reply.choices and reply.user_message_id is not None:
        rows.extend(choice_rows(reply.user_message_id, reply.choices))
    if reply.more_ref is not None:
        rows.append(more_row(reply.more_ref, more_label))
    rows.extend(source_rows(reply.sources))
    if reply.mode in RATED_MODES and reply.message_id is not None:
        rows.extend(
            feedback_keyboard(reply.message_id, reply.language, offer_human=offer).inline_keyboard
        )
    elif offer:
        rows.extend(human_keyboard(reply.language).inline_keyboard)
    return InlineKeyboardMarkup(rows) if rows else None


async def answer(
    bot: Bot,
    services: TelegramServices,
    incoming: Incoming,
    *,
    reply_to: int | None = None,
) -> Reply | None:
    """Answer one customer text end to end; None when a person has the chat (relayed)."""
    tuning = services.tuning
    stream = ReplyStream(
        bot,
        incoming.chat_id,
        reply_to=reply_to,
        edit_interval=tuning.edit_interval,
        typing_interval=tuning.typing_interval,
        first_delay=tuning.first_chunk_delay,
    )
    # With a person on the chat the bot shows nothing, not even "typing…".
    person = await services.handoff.with_human(
        user_external_id=incoming.user_id, chat_id=incoming.chat_id
    )
    try:
        if person is not None:
            reply = await services.conversation.handle(incoming)
        else:
            async with stream:
                reply = await services.conversation.handle(incoming, on_text=stream.on_text)
    except asyncio.CancelledError:
        await _apologise(bot, incoming)
        raise
    if reply.mode is AnswerMode.HUMAN:
        await relay.relay_customer_text(bot, services, incoming, reply)
        return None
    agents = services.settings.support_chat_id is not None
    # The customer asked for a person in words: hand off at once (an "I don't know" only
    # offers the button, so agents are not flooded with questions the FAQ lacks).
    hand_off = agents and reply.mode is AnswerMode.HANDOFF and wants_human(incoming.text)
    more_label = services.texts.get("more_button", reply.language)
    markup = None if hand_off else reply_keyboard(reply, agents=agents, more_label=more_label)
    await stream.finish(render_reply(reply, services), markup)
    if hand_off:
        await relay.start_handoff(
            bot,
            services,
            user_id=incoming.user_id,
            chat_id=incoming.chat_id,
            user_name=incoming.user_name,
            language=reply.language,
        )
    return reply


async def _apologise(bot: Bot, incoming: Incoming) -> None:
    """The bot is stopping mid-answer: say so rather than leave the customer hanging."""
    text = channel_text("apology_shutdown", incoming.language_hint)
    with contextlib.suppress(TelegramError, asyncio.CancelledError):
        await asyncio.shield(send_text(bot, incoming.chat_id, split_text(text)[0]))


def incoming_for(
    user_id: int, chat_id: int, text: str, language: str | None, name: str | None
) -> Incoming:
    return Incoming(
        user_id=user_id,
        chat_id=chat_id,
        text=text,
        channel=CHANNEL,
        language_hint=language,
        user_name=name,
    )
