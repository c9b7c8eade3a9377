"""Guided admin dialogues (``/faq_add``, ``/faq_edit``, ``/prompt_set``): who is at which step.

PTB's ``ConversationHandler`` is not meant for ``concurrent_updates``, so the state is kept here,
per (admin, chat), and a ``MessageFilter`` routes an admin's next text to the dialogue they are
in. ``/cancel`` leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import Message
from telegram.ext.filters import MessageFilter


@dataclass(slots=True)
class Flow:
    """One dialogue in progress: its name, the step waiting for input, what was collected."""

    name: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


class FlowStore:
    """Dialogues in progress, keyed by (user id, chat id)."""

    def __init__(self) -> None:
        self._flows: dict[tuple[int, int], Flow] = {}

    def get(self, user_id: int, chat_id: int) -> Flow | None:
        return self._flows.get((user_id, chat_id))

    def begin(self, user_id: int, chat_id: int, name: str, step: str, **data: Any) -> Flow:
        flow = Flow(name, step, dict(data))
        self._flows[(user_id, chat_id)] = flow
        return flow

    def end(self, user_id: int, chat_id: int) -> Flow | None:
        return self._flows.pop((user_id, chat_id), None)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every dialogue in progress as JSON-able values (kept across restarts)."""
        return [
            {"user": user, "chat": chat, "name": f.name, "step": f.step, "data": f.data}
            for (user, chat), f in sorted(self._flows.items())
        ]

    def restore(self, saved: list[dict[str, Any]]) -> None:
        for item in saved:
            flow = Flow(item["name"], item["step"], dict(item["data"]))
            self._flows[(int(item["user"]), int(item["chat"]))] = flow


class InFlow(MessageFilter):
    """Messages from someone who is in the middle of a guided dialogue in this chat."""

    def __init__(self, store: FlowStore) -> None:
        super().__init__(name="InFlow")
        self.store = store

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and self.store.get(user.id, message.chat.id) is not None
