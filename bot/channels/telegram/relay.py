"""Human hand-off over Telegram: tickets in the agents' chat and messages relayed both ways.

The support chat (``SUPPORTBOT_SUPPORT_CHAT_ID``) is a group of agents. A hand-off posts a
ticket there; while the customer's session is with a human every customer message is relayed
as a reply to the ticket, and an agent answers by replying to the ticket or to a relayed
message (or ``/reply <ticket> text``). Agents' messages are *copied* to the customer, so
formatting and photos survive and agents stay anonymous. ``/done`` (or the ticket's button)
hands the customer back to the bot. Web chat visitors' tickets sit in the same group
(``support_desk``); what agents write to them goes through the web chat's inbox (``tell``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, Message, ReplyParameters, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.channels.telegram.answers import update_origin
from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.sending import send_parts, send_text
from bot.channels.telegram.services import (
    BotData,
    Context,
    TelegramServices,
    is_telegram_chat,
    services_of,
)
from bot.channels.telegram.support_desk import post_relayed, post_ticket
from bot.channels.telegram.telegram_texts import channel_text
from bot.conversation import Customer, HandoffError, Incoming, Reply

log = logging.getLogger(__name__)


async def start_handoff(
    bot: Bot,
    services: TelegramServices,
    *,
    user_id: int,
    chat_id: int,
    user_name: str | None,
    language: str | None,
) -> bool:
    """Put the customer with a person: ticket to the agents, notice to the customer."""
    texts, support = services.texts, services.settings.support_chat_id
    if support is None:
        await send_text(bot, chat_id, split_text(channel_text("no_support_chat", language))[0])
        return False
    ticket = await services.handoff.start(
        user_external_id=user_id, chat_id=chat_id, user_name=user_name, language=language
    )
    language = ticket.customer.language or language
    if ticket.already_open:
        await send_text(bot, chat_id, split_text(channel_text("human_already", language))[0])
        return True
    try:
        await post_ticket(bot, services.handoff, support, ticket)
    except TelegramError:
        log.exception("could not post the ticket of session %s", ticket.customer.session_id)
        await services.handoff.finish(ticket.customer.session_id)
        await send_text(bot, chat_id, split_text(texts.get("handoff_no_agents", language))[0])
        return False
    await send_text(bot, chat_id, split_text(texts.get("handoff_started", language))[0])
    return True


async def relay_customer_text(
    bot: Bot,
    services: TelegramServices,
    incoming: Incoming,
    reply: Reply,
) -> None:
    """Pass a customer's message (already stored) to the agents as a reply to the ticket."""
    customer = await services.handoff.with_human(
        user_external_id=incoming.user_id, chat_id=incoming.chat_id
    )
    support = services.settings.support_chat_id
    if customer is not None and support is not None:
        await post_relayed(
            bot, services.handoff, support, customer, incoming.text, reply.user_message_id
        )


async def tell(bot: Bot, services: TelegramServices, customer: Customer, *texts: str) -> None:
    """Texts to a hand-off's customer: in Telegram, or through the messenger of the channel
    they wrote from (a web chat visitor's widget, through its inbox): HandoffError when no
    channel here reaches them."""
    if is_telegram_chat(customer.chat_id):
        for text in texts:
            await send_text(bot, customer.chat_id, split_text(text)[0])
        return
    others = services.other_channels
    if others is None or not others.reaches(customer):
        raise HandoffError("that customer's channel is not served here")
    for text in texts:
        await others.send(customer, text)


async def relay_customer_media(
    bot: Bot, services: TelegramServices, customer: Customer, message: Message, kind: str
) -> None:
    """Copy a photo, voice note, etc. to the agents and store that it was sent."""
    support = services.settings.support_chat_id
    if support is None:
        return
    ticket_id = customer.ticket_message_id
    copy = await bot.copy_message(
        support,
        from_chat_id=message.chat_id,
        message_id=message.message_id,
        reply_parameters=ReplyParameters(ticket_id, allow_sending_without_reply=True)
        if ticket_id
        else None,
    )
    await services.handoff.record_customer_message(
        customer,
        f"[{kind}] {message.caption or ''}".strip(),
        relayed_message_id=copy.message_id,
        origin=update_origin("relayed"),
    )


# --- the agents' side ---------------------------------------------------------------------------


async def agent_reply(update: Update, context: Context) -> None:
    """An agent replied to a ticket or a relayed message: copy it to the customer."""
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return
    services = services_of(context)
    customer = await services.handoff.customer_for(message.reply_to_message.message_id)
    if customer is None:
        return  # agents talking among themselves
    await _deliver(context.bot, services, customer, message, message.text or message.caption)


async def _ticket_customer(
    services: TelegramServices, message: Message, args: list[str]
) -> Customer | None:
    """The hand-off an agent's command is about: the replied-to ticket or message, else a
    leading ``#N`` ticket number (which is then taken off ``args``)."""
    if message.reply_to_message is not None:
        customer = await services.handoff.customer_for(message.reply_to_message.message_id)
        if customer is not None:
            return customer
    if args and args[0].lstrip("#").isdigit():
        return await services.handoff.customer_by_session(int(args.pop(0).lstrip("#")))
    return None


async def reply_command(update: Update, context: Context) -> None:
    """``/reply <ticket> text`` (or ``/reply text`` as a reply): answer a customer."""
    message = update.effective_message
    assert message is not None
    services, args = services_of(context), list(context.args or [])
    customer = await _ticket_customer(services, message, args)
    text = " ".join(args).strip()
    if customer is None or not text:
        await message.reply_text("Usage: /reply <ticket number> <text>, or reply to a ticket.")
        return
    await _deliver(context.bot, services, customer, message, text, copy=False)


async def _deliver(
    bot: Bot,
    services: TelegramServices,
    customer: Customer,
    message: Message,
    text: str | None,
    *,
    copy: bool = True,
) -> None:
    """Send an agent's answer to the customer and store it; tell the agent if it failed."""
    try:
        if await services.handoff.record_agent_reply(
            customer,
            text or "[media]",
            agent_message_id=message.message_id,
            origin=update_origin("agent"),
        ):
            agent = message.from_user.first_name if message.from_user else "our team"
            joined = services.texts.get("handoff_agent_joined", customer.language, agent_name=agent)
            await tell(bot, services, customer, joined)
        if not is_telegram_chat(customer.chat_id):  # text only: the widget shows no media
            await tell(bot, services, customer, text or "[media]")
        elif copy:
            await bot.copy_message(
                customer.chat_id, from_chat_id=message.chat_id, message_id=message.message_id
            )
        else:
            await send_parts(bot, customer.chat_id, split_text(text or ""))
    except (TelegramError, HandoffError) as exc:
        log.warning("could not deliver an agent reply to %s: %s", customer.user_external_id, exc)
        reason = exc.message if isinstance(exc, TelegramError) else str(exc)
        await message.reply_text(f"⚠️ Not delivered to ticket #{customer.session_id}: {reason}")


async def done_command(update: Update, context: Context) -> None:
    """``/done`` (as a reply, or ``/done <ticket>``): hand the customer back to the bot."""
    message = update.effective_message
    assert message is not None
    services, args = services_of(context), list(context.args or [])
    customer = await _ticket_customer(services, message, args)
    if customer is None:
        await message.reply_text("Usage: /done <ticket number>, or reply /done to a ticket.")
        return
    await finish(context.bot, services, customer.session_id)
    await message.reply_text(f"✅ Ticket #{customer.session_id} handed back to the bot.")


async def finish(
    bot: Bot, services: TelegramServices, session_id: int, *, by_customer: bool = False
) -> bool:
    """End a hand-off: the customer is told the bot is back; the ticket loses its button (and
    the agents are told when it was the customer who left)."""
    customer = await services.handoff.finish(session_id)
    if customer is None:
        return False
    await tell(bot, services, customer, services.texts.get("handoff_ended", customer.language))
    support, ticket_id = services.settings.support_chat_id, customer.ticket_message_id
    if support is None or ticket_id is None:
        return True
    try:
        await bot.edit_message_reply_markup(support, ticket_id)
        if by_customer:
            note = f"#{session_id}: the customer went back to the bot (/bot)."
            await send_text(bot, support, split_text(note)[0], reply_to=ticket_id)
    except TelegramError as exc:
        log.debug("could not update ticket #%s: %s", session_id, exc)
    return True


async def notify_overdue(
    application: Application[Any, Context, Any, Any, BotData, Any],
    now: datetime | None = None,
) -> int:
    """Tell customers whose hand-off has waited too long when to expect an answer."""
    services = application.bot_data.services
    if services is None:
        return 0
    after = timedelta(minutes=services.settings.handoff_reply_minutes)
    waiting = await services.handoff.overdue(after=after, now=now)
    for customer in waiting:
        text = services.texts.get("handoff_waiting", customer.language)
        try:
            await tell(application.bot, services, customer, text)
        except (TelegramError, HandoffError):
            log.exception("could not tell customer %s to wait", customer.user_external_id)
            continue
        await services.handoff.record_waiting_notice(customer, text)
    return len(waiting)


async def overdue_job(context: Context) -> None:
    """JobQueue wrapper of ``notify_overdue``; a failure logs and runs again next time."""
    try:
        await notify_overdue(context.application)
    except Exception:
        log.exception("the overdue hand-off check failed")
