"""FakeEngine: a real GenerationEngine with queued replies, for the other layers' tests.

Modelled on simonw/llm's MockModel: a subclass of the real base class (so ``stream`` is the
production one), tests ``enqueue`` replies (or errors) and read back the requests the engine
received; nothing is mocked with ``unittest.mock``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence

from bot.engine.base import (
    ChatMessage,
    Generation,
    GenerationEngine,
    GenerationRequest,
    TextCallback,
)


class FakeEngine(GenerationEngine):
    """Answers each request with the next enqueued reply (or raises the enqueued error)."""

    def __init__(self, default_reply: str = "I am a fake engine.", name: str = "fake") -> None:
        self.name = name
        self.default_reply = default_reply
        self._replies: deque[str | BaseException] = deque()
        self.requests: list[GenerationRequest] = []
        self.closed = False
        self.delay_per_piece = 0.0

    def enqueue(self, *replies: str | BaseException) -> None:
        """Queue replies (or exceptions to raise) for the next requests, in order."""
        self._replies.extend(replies)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Whitespace tokens plus a few per message, close enough for budget tests."""
        return sum(len(m.content.split()) + 4 for m in messages)

    async def generate(
        self, request: GenerationRequest, on_text: TextCallback | None = None
    ) -> Generation:
        self.requests.append(request)
        started = time.monotonic()
        reply = self._replies.popleft() if self._replies else self.default_reply
        if isinstance(reply, BaseException):
            raise reply
        words = reply.split(" ")
        if len(words) > request.max_new_tokens:
            words, finish = words[: request.max_new_tokens], "length"
        else:
            finish = "stop"
        text = ""
        first: float | None = None
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            if self.delay_per_piece:
                await asyncio.sleep(self.delay_per_piece)
            if request.deadline is not None and time.monotonic() > request.deadline:
                finish = "deadline"
                break
            text += piece
            if first is None:
                first = time.monotonic() - started
            if on_text is not None:
                on_text(piece)
        return Generation(
            text=text,
            prompt_tokens=self.count_tokens(request.messages),
            completion_tokens=len(text.split()),
            finish_reason=finish,  # type: ignore[arg-type]
            time_to_first_token=first,
            total_time=time.monotonic() - started,
            model=self.name,
        )

    async def close(self) -> None:
        self.closed = True
