"""The bot in its own process, as ``supportbot run`` runs it, with the FakeEngine for generation.

``python -m tests.channels.telegram.bot_process`` does what ``supportbot run`` does for Telegram
(Settings from the environment, logging, ``bot.channels.telegram.run``: durable intake, inbox
worker, SIGTERM handling) except that the generation engine is a FakeEngine, so restart tests
and ``bench.load`` need no model. Test hooks, read only here (never by the product):

- ``SUPPORTBOT_TEST_HOLD``: a message text the conversation never finishes answering (the
  process is stopped or killed while it waits), to catch a message between stored and answered;
- ``SUPPORTBOT_TEST_GENERATION_FAILURES``: the share of generations that fail (half raise,
  half run past the deadline), for ``bench.load --faults``.

It prints ``opened``, ``closed`` and ``exited`` on stdout as it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

from bot.app import open_app
from bot.channels.telegram import run
from bot.config import load_settings
from bot.conversation import Incoming, Reply
from bot.engine.base import Generation, GenerationRequest, TextCallback
from bot.engine.fake import FakeEngine

HOLD = "SUPPORTBOT_TEST_HOLD"
GENERATION_FAILURES = "SUPPORTBOT_TEST_GENERATION_FAILURES"


class FlakyEngine(FakeEngine):
    """A FakeEngine whose generations fail now and then (an error, or past the deadline)."""

    def __init__(self, failure_rate: float, seed: int = 1) -> None:
        super().__init__()
        self.failure_rate = failure_rate
        self.random = random.Random(seed)

    async def generate(
        self, request: GenerationRequest, on_text: TextCallback | None = None
    ) -> Generation:
        roll = self.random.random()
        if roll < self.failure_rate / 2:
            raise RuntimeError("injected generation failure")
        if roll < self.failure_rate:
            self.delay_per_piece = 0.5  # every piece past a short deadline: timed out
            try:
                return await super().generate(request, on_text)
            finally:
                self.delay_per_piece = 0.0
        return await super().generate(request, on_text)


class Holding:
    """The conversation service, except that one text is never answered."""

    def __init__(self, real: Any, text: str) -> None:
        self.real, self.text = real, text

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def handle(
        self, incoming: Incoming, on_text: Callable[[str], None] | None = None
    ) -> Reply:
        if incoming.text == self.text:
            print("holding", flush=True)
            await asyncio.Event().wait()
        return await self.real.handle(incoming, on_text)  # type: ignore[no-any-return]


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    engine = FlakyEngine(float(os.environ.get(GENERATION_FAILURES) or 0))
    hold = os.environ.get(HOLD)

    @contextlib.asynccontextmanager
    async def opener() -> AsyncIterator[Any]:
        async with open_app(settings, engine=engine) as app:
            if hold:
                app.conversation = Holding(app.conversation, hold)
            print("opened", flush=True)
            yield app
        print("closed", flush=True)

    run(settings, opener)
    print("exited", flush=True)


if __name__ == "__main__":
    main()
