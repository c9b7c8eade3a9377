"""The web chat in its own process, as ``supportbot run`` serves it without Telegram, with the
FakeEngine for generation, so restart tests and ``bench.widget`` need no model.

``python -m tests.channels.webchat.web_process`` reads Settings from the environment and serves
the web chat (``serving_webchat`` over ``open_app``) until killed. Test hook, read only here:
``SUPPORTBOT_TEST_HOLD_AFTER``: a question the conversation answers and stores, and whose reply
the process then never hands back (it is killed while it waits), to catch a reply between
stored by the conversation and stored in the outbox. It prints ``port N`` once serving, and
``holding`` when it holds.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any

from bot.app import open_app
from bot.channels.webchat import serving_webchat
from bot.config import load_settings
from bot.conversation import Incoming, Reply
from bot.engine.fake import FakeEngine

HOLD_AFTER = "SUPPORTBOT_TEST_HOLD_AFTER"


class HoldingAfter:
    """The conversation service, except that one question's reply is never handed back."""

    def __init__(self, real: Any, text: str) -> None:
        self.real, self.text = real, text

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def handle(
        self,
        incoming: Incoming,
        on_text: Callable[[str], None] | None = None,
        *,
        origin: str | None = None,
    ) -> Reply:
        reply: Reply = await self.real.handle(incoming, on_text, origin=origin)
        if incoming.text == self.text:
            print("holding", flush=True)
            await asyncio.Event().wait()
        return reply


async def serve() -> None:
    settings = load_settings()
    async with open_app(settings, engine=FakeEngine(), start_scheduler=False) as app:
        hold = os.environ.get(HOLD_AFTER)
        if hold:
            app.conversation = HoldingAfter(app.conversation, hold)  # type: ignore[assignment]
        async with serving_webchat(app, settings) as (_, port):
            print(f"port {port}", flush=True)
            await asyncio.Event().wait()


def main() -> None:
    logging.basicConfig(level="WARNING", format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve())


if __name__ == "__main__":
    main()
