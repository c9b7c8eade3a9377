"""A fake Telegram Bot API server over real HTTP, for driving the real python-telegram-bot.

Tests start it on 127.0.0.1 (a random port), point PTB's ``base_url`` at it, inject updates
(``send_text``, ``press``, ...) that the bot receives through long-polling ``getUpdates``, and
wait on conditions over what the bot called (``wait_until``) instead of sleeping. It checks
what Telegram checks and answers with Telegram's error shapes: 400 for HTML that does not parse
or text over 4,096 characters, 429 with ``retry_after`` when a failure is injected.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

import tornado.httpserver
import tornado.netutil
import tornado.web

from tests.channels.telegram.fake_bot_methods import (
    BOT_USER,
    TOKEN,
    ApiCall,
    ApiError,
    BotApiMethods,
    Failure,
    MethodHandler,
    entities_of,
)

T = TypeVar("T")
__all__ = ["BOT_USER", "RESET", "TOKEN", "ApiCall", "Chaos", "FakeBotApi"]


RESET = 0  # "status" of a call whose connection is dropped without an answer


class Chaos:
    """Random faults on a share of calls, as Telegram and the network produce them: half 429
    with ``retry_after``, a quarter 502, a quarter a reset connection. Every fault happens
    *before* the call takes effect (a reset after Telegram accepted a message is the one case
    no client can tell apart; see docs/telegram.md)."""

    def __init__(
        self, rate: float, methods: set[str], *, seed: int = 0, retry_after: int = 1
    ) -> None:
        self.rate, self.methods, self.retry_after = rate, methods, retry_after
        self.random = random.Random(seed)
        self.injected: dict[int, int] = {}

    def roll(self, method: str) -> Failure | None:
        if method not in self.methods or self.random.random() >= self.rate:
            return None
        kind = self.random.random()
        if kind < 0.5:
            failure = Failure(method, 429, f"Too Many Requests: retry after {self.retry_after}",
                              1, self.retry_after)  # fmt: skip
        elif kind < 0.75:
            failure = Failure(method, 502, "Bad Gateway", 1)
        else:
            failure = Failure(method, RESET, "connection reset", 1)
        self.injected[failure.status] = self.injected.get(failure.status, 0) + 1
        return failure


class FakeBotApi(BotApiMethods):
    """The Bot API methods supportbot uses, with recorded calls and injected updates."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {}
        self.failures: list[Failure] = []
        self.chaos: Chaos | None = None
        self.sends_held: asyncio.Event | None = None  # set: sendMessage waits until it is set
        self.sends_in_flight = 0  # sendMessage calls received and not yet answered
        self.most_sends_in_flight = 0
        self._updates: list[dict[str, Any]] = []
        self.pushed: list[dict[str, Any]] = []  # every update injected, in order
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._server: tornado.httpserver.HTTPServer | None = None
        self._stopping = False
        self._polls = 0  # long polls waiting for updates
        self.port = 0

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
        self.port = sockets[0].getsockname()[1]
        app = tornado.web.Application([(r"/bot([^/]+)/(\w+)", MethodHandler, {"fake": self})])
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        """Answer pending long polls (empty), then close the server."""
        self._stopping = True
        self._notify()
        await self.wait_until(lambda: self._polls == 0, within=5)
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- people and chats ---------------------------------------------------------------------
    def user(self, user_id: int, first_name: str = "Ann", language_code: str = "en") -> dict:
        """A Telegram user; their private chat (id = user id) is registered too."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self.chats.setdefault(user_id, {"id": user_id, "type": "private", "first_name": first_name})
        return user

    def group(self, chat_id: int, title: str = "Agents", kind: str = "supergroup") -> dict:
        """A group or supergroup chat (negative id)."""
        return self.chats.setdefault(chat_id, {"id": chat_id, "type": kind, "title": title})

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    # --- injecting updates --------------------------------------------------------------------
    def _push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self._updates.append(update)
        self.pushed.append(update)
        self._notify()
        return payload

    def redeliver(self, update: dict[str, Any], *, new_id: bool = False) -> None:
        """Telegram sends an update again: the same update id (unconfirmed, or a webhook
        retry), or ``new_id`` (the same message under a new update id)."""
        again = {**update, "update_id": next(self._update_ids)} if new_id else dict(update)
        self._updates.append(again)
        self._updates.sort(key=lambda u: u["update_id"])
        self._notify()

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a ``getUpdates`` offset (Telegram keeps them)."""
        return len(self._updates)

    def _message(
        self, user: dict, chat_id: int | None, date: float | None = None, **content: Any
    ) -> dict[str, Any]:
        chat = self.chats[chat_id if chat_id is not None else user["id"]]
        message = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(date if date is not None else time.time()),
            "chat": chat,
            "from": user,
            **content,
        }
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def send_text(
        self,
        user: dict,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: dict | None = None,
        date: float | None = None,
    ) -> dict[str, Any]:
        """The user writes ``text`` (commands and @mentions get their entities)."""
        content: dict[str, Any] = {"text": text, "entities": entities_of(text)}
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        return self._push("message", self._message(user, chat_id, date, **content))

    def edit_text(self, message: dict, text: str) -> dict[str, Any]:
        """The user edits one of their messages."""
        edited = {
            **message,
            "text": text,
            "entities": entities_of(text),
            "edit_date": int(time.time()),
        }
        self.messages[(message["chat"]["id"], message["message_id"])] = edited
        return self._push("edited_message", edited)

    def send_media(self, user: dict, kind: str, *, chat_id: int | None = None) -> dict[str, Any]:
        """The user sends a photo, sticker, voice note, document or location."""
        samples: dict[str, Any] = {
            "photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}],
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "u2",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
            "voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 2},
            "document": {"file_id": "d1", "file_unique_id": "u4", "file_name": "a.pdf"},
            "location": {"latitude": 52.5, "longitude": 13.4},
        }
        return self._push("message", self._message(user, chat_id, **{kind: samples[kind]}))

    def channel_post(self, chat_id: int, text: str) -> dict[str, Any]:
        """A post in a channel the bot was added to."""
        chat = self.chats.setdefault(chat_id, {"id": chat_id, "type": "channel", "title": "News"})
        post = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "text": text,
        }
        return self._push("channel_post", post)

    def press(self, user: dict, message: dict, data: str) -> str:
        """The user taps an inline button with callback ``data`` under ``message``."""
        query_id = str(next(self._callback_ids))
        self._push(
            "callback_query",
            {"id": query_id, "from": user, "message": message, "chat_instance": "ci", "data": data},
        )
        return query_id

    # --- failures -----------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        times: int = 1,
        retry_after: int | None = 1,
        description: str | None = None,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*" for any) with an error."""
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}" if status == 429 else "Bad Request"
            )
        self.failures.append(
            Failure(
                method, status, description, times, retry_after if status == 429 else None, when
            )
        )

    def _injected_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        if self.chaos is not None and (failure := self.chaos.roll(method)) is not None:
            return failure
        for failure in self.failures:
            matches = failure.when is None or failure.when(params)
            if failure.times > 0 and failure.method in (method, "*") and matches:
                failure.times -= 1
                return failure
        return None

    # --- waiting and reading ------------------------------------------------------------------
    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(notify())

    async def wait_until(self, condition: Callable[[], T | None], within: float = 30.0) -> T:
        """Wait until ``condition()`` is truthy (re-checked after every call) and return it."""
        async with self._changed:
            try:
                return await asyncio.wait_for(self._changed.wait_for(condition), within)
            except TimeoutError:
                raise AssertionError(
                    f"condition not met in {within}s; last calls: {self.summary()}"
                ) from None

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[ApiCall]:
        """Successful calls, optionally of one method and/or to one chat."""
        return [
            c
            for c in self.calls
            if c.status == 200
            and (method is None or c.method == method)
            and (chat_id is None or c.chat_id == chat_id)
        ]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot has in a chat, oldest first, as they look now (after edits)."""
        found = [
            m for (c, _), m in self.messages.items() if c == chat_id and m.get("from") == BOT_USER
        ]
        return sorted(found, key=lambda m: m["message_id"])

    def bot_texts(self, chat_id: int) -> list[str]:
        """The current text of every bot message in a chat."""
        return [m.get("text", "") for m in self.bot_messages(chat_id)]

    def summary(self) -> str:
        return "; ".join(f"{c.method}:{c.status}:{str(c.params)[:80]}" for c in self.calls[-12:])

    # --- the Bot API methods ------------------------------------------------------------------
    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call (recorded, except the long polls)."""
        if method == "sendMessage" and self.sends_held is not None:
            await self._hold_send()
        status, body = await self._answer(method, params)
        if method != "getUpdates":
            self.calls.append(ApiCall(method, params, status))
            self._notify()
        return status, body

    async def _hold_send(self) -> None:
        """Keep a sendMessage waiting until ``sends_held`` is set, counting those waiting."""
        assert self.sends_held is not None
        self.sends_in_flight += 1
        self.most_sends_in_flight = max(self.most_sends_in_flight, self.sends_in_flight)
        self._notify()
        try:
            await self.sends_held.wait()
        finally:
            self.sends_in_flight -= 1

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            try:
                return 200, {"ok": True, "result": await self._get_updates(params)}
            except Exception:  # the server is stopping under a pending long poll
                return 200, {"ok": True, "result": []}
        failure = self._injected_failure(method, params)
        if failure is not None and failure.status == RESET:
            return RESET, {}
        if failure is not None:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, body
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            return 200, {"ok": True, "result": handler(params)}
        except ApiError as exc:
            return exc.status, {"ok": False, "error_code": exc.status, "description": exc.text}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]

        def ready() -> bool:
            return bool(self._updates) or self._stopping

        if not ready() and timeout:
            self._polls += 1
            try:
                async with self._changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait_for(ready), timeout)
            finally:
                self._polls -= 1
                self._notify()
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]
