"""The conversation answers each stored update once, even when the update is handled again.

``AnsweredOnce`` wraps the conversation service the handlers call. Inside the handling of an
inbox item, the first run keeps each ``Reply`` with the item (``DeliveryService.save_answer``);
a replay of the item (after a crash between answering and sending, or a reply that had to wait)
gets the kept reply back instead of asking again, so the question is not stored twice and the
customer gets the same words the first run meant to send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from bot.channels.telegram.outgoing import current_scope
from bot.conversation import AnswerMode, Incoming, Reply


def reply_to_json(reply: Reply) -> dict[str, Any]:
    return {**asdict(reply), "mode": reply.mode.value}


def reply_from_json(data: dict[str, Any]) -> Reply:
    return Reply(**{**data, "mode": AnswerMode(data["mode"])})


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
        reply = await self.real.handle(incoming, on_text)
        scope.answers.append(reply_to_json(reply))
        await scope.delivery.save_answer(scope.entry, {"replies": scope.answers})
        return reply
