"""The conversation answers each stored update once, even when the update is handled again.

``AnsweredOnce`` wraps the conversation service the handlers call. Inside the handling of an
inbox item, the first run keeps each ``Reply`` with the item (``DeliveryService.save_answer``);
a replay of the item (after a crash between answering and sending, or a reply that had to wait)
gets the kept reply back instead of asking again, so the question is not stored twice and the
customer gets the same words the first run meant to send.

A run killed after the conversation stored the question (or the reply too) but before the reply
was kept leaves nothing here. For that, every call runs under an ``origin`` key (chat, update
id, the call's place in the item; see ``bot.conversation.origins``): the conversation stores the
question and the reply once per key and hands a replay what it already stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from bot.channels.telegram.outgoing import current_scope
from bot.conversation import AnswerMode, Incoming, Reply, origins
from bot.delivery import InboxEntry


def reply_to_json(reply: Reply) -> dict[str, Any]:
    return {**asdict(reply), "mode": reply.mode.value}


def reply_from_json(data: dict[str, Any]) -> Reply:
    return Reply(**{**data, "mode": AnswerMode(data["mode"])})


def origin_of(entry: InboxEntry, index: int = 0) -> str:
    """The key of the ``index``-th question of an inbox item, the same in every replay."""
    return f"telegram:{entry.chat_id}:{entry.update_id}:{index}"


def update_origin(what: str) -> str | None:
    """The key of ``what`` the inbox item being handled stores besides questions (a pick, a
    relayed or an agent's message), the same in every replay; None outside an inbox item."""
    scope = current_scope()
    if scope is None or scope.closing:
        return None
    return f"telegram:{scope.entry.chat_id}:{scope.entry.update_id}:{what}"


class AnsweredOnce:
    """The conversation service, answering each inbox item's questions once."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def handle(
        self, incoming: Incoming, on_text: Callable[[str], None] | None = None
    ) -> Reply:
        scope = current_scope()
        if scope is None or scope.closing:
            return await self.real.handle(incoming, on_text)
        kept = list((scope.entry.answer or {}).get("replies", []))
        index = len(scope.answers)
        if index < len(kept):
            scope.answers.append(kept[index])
            return reply_from_json(kept[index])
        with origins.handling(origin_of(scope.entry, index)):
            reply = await self.real.handle(incoming, on_text)
        scope.answers.append(reply_to_json(reply))
        await scope.delivery.save_answer(scope.entry, {"replies": scope.answers})
        return reply

    async def record_rate_limited(self, incoming: Incoming, notice: str | None) -> None:
        """Store a flooding customer's message once, however often its item is handled."""
        scope = current_scope()
        if scope is None or scope.closing:
            return await self.real.record_rate_limited(incoming, notice)
        with origins.handling(origin_of(scope.entry, len(scope.answers))):
            return await self.real.record_rate_limited(incoming, notice)
