"""What the bot posts in the agents' Telegram group (tickets, customers' messages relayed under
them), for customers of every channel, and the web chat's ``AgentDesk`` over it.

``post_ticket`` and ``post_relayed`` serve Telegram customers' hand-offs (``relay.py``) and web
chat visitors' alike: agents reply to either in the group and ``relay.agent_reply`` finds the
hand-off by the replied-to message, then reaches the customer in their own channel (``tell``).
``TelegramDesk`` is ``bot.channels.webchat.desk.AgentDesk`` for the web chat, with a Bot of its
own (like ``console_port.TelegramMessenger``); ``open_desk`` gives one when a bot token and
``SUPPORTBOT_SUPPORT_CHAT_ID`` are both set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot

from bot.channels.telegram.formatting import Block, bold, escape, split_blocks
from bot.channels.telegram.keyboards import ticket_keyboard
from bot.channels.telegram.sending import send_parts
from bot.config import Settings
from bot.conversation import Customer, HandoffService, Ticket

ROLE_LABELS = {"user": "👤", "assistant": "🤖", "agent": "🧑‍💼"}


def render_ticket(ticket: Ticket) -> list[Block]:
    """The ticket as blocks: who, language, the last messages, what the bot could not answer."""
    c = ticket.customer
    name = c.name or "customer"
    head = (
        f"🎫 Ticket #{c.session_id}: {name} (id {c.user_external_id}), language {c.language or '?'}"
    )
    blocks = [
        Block(head, bold(head)),
        Block("Reply to this message to answer; /done when finished."),
    ]
    if ticket.last_messages:
        lines = [f"{ROLE_LABELS.get(role, role)} {text}" for role, text in ticket.last_messages]
        blocks.append(
            Block(
                "\n".join(["Last messages:", *lines]),
                "\n".join([bold("Last messages:"), *(escape(x) for x in lines)]),
            )
        )
    if ticket.unanswered:
        lines = [f"• {q}" for q in ticket.unanswered]
        blocks.append(
            Block(
                "\n".join(["Not answered by the bot:", *lines]),
                "\n".join([bold("Not answered by the bot:"), *(escape(x) for x in lines)]),
            )
        )
    return blocks


async def post_ticket(bot: Bot, handoff: HandoffService, support: int, ticket: Ticket) -> None:
    """Post a hand-off's ticket to the agents' chat and remember where (agents reply to it)."""
    parts = split_blocks(render_ticket(ticket))
    keyboard = ticket_keyboard(ticket.customer.session_id)
    sent = await send_parts(bot, support, parts, reply_markup=keyboard)
    await handoff.attach_ticket(ticket.customer.session_id, sent[-1].message_id)


async def post_relayed(
    bot: Bot,
    handoff: HandoffService,
    support: int,
    customer: Customer,
    text: str,
    stored: int | None,
) -> None:
    """A customer's stored message to the agents, as a reply to the ticket (any channel's)."""
    head = f"#{customer.session_id} {customer.name or 'customer'}:"
    part = split_blocks([Block(f"{head}\n{text}", f"{bold(head)}\n{escape(text)}")])
    sent = await send_parts(bot, support, part, reply_to=customer.ticket_message_id)
    if stored is not None:
        await handoff.mark_relayed(stored, sent[-1].message_id)


class TelegramDesk:
    """The support group as the web chat's agents' desk: tickets and relayed messages."""

    def __init__(self, bot: Bot, handoff: HandoffService, support_chat_id: int) -> None:
        self.bot = bot
        self.handoff = handoff
        self.support_chat_id = support_chat_id

    async def ticket(self, ticket: Ticket) -> None:
        await post_ticket(self.bot, self.handoff, self.support_chat_id, ticket)

    async def relay(self, customer: Customer, text: str, message_id: int | None) -> None:
        await post_relayed(self.bot, self.handoff, self.support_chat_id, customer, text, message_id)


@asynccontextmanager
async def open_desk(
    settings: Settings, handoff: HandoffService
) -> AsyncIterator[TelegramDesk | None]:
    """A desk when a bot token and a support chat are configured, else None."""
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if not token or settings.support_chat_id is None:
        yield None
        return
    bot = Bot(token, base_url=settings.telegram_base_url)
    async with bot:
        yield TelegramDesk(bot, handoff, settings.support_chat_id)
