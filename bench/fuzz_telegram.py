"""``bench.fuzz``'s Telegram path: the real PTB application, every handler, the fake Bot API.

``TelegramPath`` builds the application around an already opened app (so both paths share one
database), runs ``initialize`` and ``post_init`` (menus, services) and feeds each case to
``Application.process_update`` as a message or a button press from a non-admin customer. What
the bot sent comes back from the fake's recorded calls; every 400 the fake answered about the
text itself (entities that do not parse, too long, empty) is a format error. A pressed button
sits under a real earlier bot message (Telegram only delivers presses on messages that exist);
its data is what the fuzz makes up.
"""

from __future__ import annotations

import html
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from telegram import Update

from bench.fuzz_cases import Case
from bot.channels.telegram.application import build_application
from bot.channels.telegram.intake import clean_text
from bot.channels.telegram.services import TelegramServices, Tuning
from bot.config import Settings
from tests.channels.telegram.fake_bot_api import FakeBotApi
from tests.channels.telegram.fake_bot_methods import BOT_USER, entities_of

TUNING = Tuning(edit_interval=0.05, typing_interval=5.0, first_chunk_delay=0.5,
                overdue_check_interval=3600)  # fmt: skip
SAID_METHODS = {"sendMessage", "editMessageText"}
TEXT_REJECTIONS = ("can't parse entities", "message is too long", "text is empty")


class FuzzBotApi(FakeBotApi):
    """The fake Bot API, keeping the description of every 400 it answers."""

    def __init__(self) -> None:
        super().__init__()
        self.rejections: list[tuple[int, str]] = []  # (index in calls, description)

    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, body = await super().handle(method, params)
        description = str(body.get("description", ""))
        if status == 400 and any(text in description for text in TEXT_REJECTIONS):
            self.rejections.append((len(self.calls), f"{method}: {description}"))
        return status, body


class TelegramPath:
    """The bot's handlers over HTTP to the fake; ``send`` one case, get what the bot said."""

    def __init__(self, settings: Settings, app: Any, api: FuzzBotApi) -> None:
        self.settings, self.app, self.api = settings, app, api
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)

        @asynccontextmanager
        async def opener() -> AsyncIterator[Any]:
            yield app

        self.application = build_application(settings, opener, tuning=TUNING)

    @property
    def services(self) -> TelegramServices:
        services = self.application.bot_data.services
        assert services is not None
        return services

    async def __aenter__(self) -> TelegramPath:
        await self.application.initialize()
        assert self.application.post_init is not None
        await self.application.post_init(self.application)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.application.shutdown()
        assert self.application.post_shutdown is not None
        await self.application.post_shutdown(self.application)

    def _update(self, case: Case, user_id: int) -> dict[str, Any]:
        user = self.api.user(user_id, "Fuzz")
        chat = self.api.chats[user_id]
        message = {"message_id": next(self.message_ids), "date": int(time.time()), "chat": chat}
        if case.kind == "callback":
            shown = {**message, "from": BOT_USER, "text": "an earlier reply"}
            self.api.messages[(chat["id"], shown["message_id"])] = shown  # a real message
            query = {"id": str(next(self.update_ids)), "from": user, "message": shown,
                     "chat_instance": "ci", "data": case.text}  # fmt: skip
            return {"update_id": next(self.update_ids), "callback_query": query}
        content = {**message, "from": user, "text": case.text, "entities": entities_of(case.text)}
        self.api.messages[(chat["id"], content["message_id"])] = content
        return {"update_id": next(self.update_ids), "message": content}

    async def send(self, case: Case, user_id: int) -> tuple[str, str | None]:
        """Process one case; (what the bot said, the first rejection Telegram gave)."""
        first_call, first_rejection = len(self.api.calls), len(self.api.rejections)
        payload = clean_text(self._update(case, user_id))  # as the intake stores it
        await self.application.process_update(Update.de_json(payload, self.application.bot))
        said = [
            html.unescape(str(call.params.get("text", "")))
            for call in self.api.calls[first_call:]
            if call.method in SAID_METHODS and call.status == 200
        ]
        rejected = self.api.rejections[first_rejection:]
        return " ".join(said), (rejected[0][1] if rejected else None)
