"""The generation seam: the ``GenerationEngine`` base class every engine (local, remote, fake)
subclasses, and the request/result types they share.

A backend implements two methods, ``generate`` and ``count_tokens`` (and ``close`` when it holds
resources); ``stream`` is written once here on top of ``generate``. The rest of supportbot only
sees ``GenerationEngine``; which backend sits behind it is decided once, by
``bot.engine.load_engine``, from how ``SUPPORTBOT_MODEL`` names it (see ``registry``).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "deadline", "cancelled", "error"]


class EngineError(Exception):
    """Generation failed; the conversation layer answers politely instead."""


class EngineBusy(EngineError):
    """The request queue is full: raised at once so the customer is not kept waiting."""


class EngineUnavailable(EngineError):
    """The model could not be loaded or the remote server cannot be used (e.g. 401, 404)."""


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat turn as the model's chat template sees it."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """What to generate: chat messages plus decoding limits.

    ``deadline`` is an absolute ``time.monotonic()`` value; past it the request is dropped and
    finishes with reason ``deadline``. Greedy decoding when ``temperature`` is 0.
    """

    messages: Sequence[ChatMessage]
    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    stop: Sequence[str] = ()
    deadline: float | None = None
    repetition_penalty: float = 1.0
    ignore_eos: bool = False  # keep going past end-of-sequence (benchmarks need fixed lengths)

    @staticmethod
    def deadline_in(seconds: float) -> float:
        """An absolute deadline ``seconds`` from now, on the clock engines compare against."""
        return time.monotonic() + seconds


@dataclass(slots=True)
class Generation:
    """The result of one request."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason
    time_to_first_token: float | None = None
    total_time: float = 0.0
    model: str = ""
    error: str | None = field(default=None)


TextCallback = Callable[[str], None]


class GenerationEngine(ABC):
    """A text generator shared by every customer.

    ``generate`` and ``stream`` may be called concurrently from many tasks; implementations
    batch or queue them. ``generate`` calls ``on_text`` (on the event loop) with each new piece
    of text as it is decoded, and returns the whole ``Generation`` with its counts; ``stream``
    is the same as an async iterator of pieces for callers that need no counts. Cancelling the
    awaiting task (or abandoning the stream) cancels the request and frees its batch slot.
    """

    name: str

    @abstractmethod
    async def generate(
        self, request: GenerationRequest, on_text: TextCallback | None = None
    ) -> Generation:
        """Generate a reply to ``request``, calling ``on_text`` with each new piece."""

    @abstractmethod
    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """How many prompt tokens ``messages`` take (an estimate where the tokenizer is remote)."""

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        """The pieces of ``generate``'s text as they are decoded; raises what it raises."""
        pieces: asyncio.Queue[str | None] = asyncio.Queue()
        task = asyncio.create_task(self.generate(request, on_text=pieces.put_nowait))
        task.add_done_callback(lambda _: pieces.put_nowait(None))
        try:
            while (piece := await pieces.get()) is not None:
                yield piece
            await task  # re-raise what generate raised
        finally:
            if not task.done():
                task.cancel()

    async def close(self) -> None:  # noqa: B027 (a no-op unless overridden)
        """Release what the engine holds (threads, connections); the default holds nothing."""
