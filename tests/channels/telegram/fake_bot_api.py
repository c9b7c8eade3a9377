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
import json
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tornado.httpserver
import tornado.netutil
import tornado.web

from tests.channels.telegram.fake_html import HtmlError, parse_html

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 1000, "is_bot": True, "first_name": "Acme Support", "username": "acme_help_bot"}
T = TypeVar("T")


@dataclass(slots=True)
class ApiCall:
    """One Bot API request the bot made, and how the fake answered it."""

    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


@dataclass(slots=True)
class Failure:
    """An injected error for the next ``times`` calls of ``method`` matching ``when``."""

    method: str
    status: int
    description: str
    times: int
    retry_after: int | None = None
    when: Callable[[dict[str, Any]], bool] | None = None


class FakeBotApi:
    """The Bot API methods supportbot uses, with recorded calls and injected updates."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {}
        self.failures: list[Failure] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._server: tornado.httpserver.HTTPServer | None = None
        self.port = 0

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
        self.port = sockets[0].getsockname()[1]
        app = tornado.web.Application([(r"/bot([^/]+)/(\w+)", _MethodHandler, {"fake": self})])
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
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
        self._notify()
        return payload

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
        content: dict[str, Any] = {"text": text, "entities": _entities(text)}
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        return self._push("message", self._message(user, chat_id, date, **content))

    def edit_text(self, message: dict, text: str) -> dict[str, Any]:
        """The user edits one of their messages."""
        edited = {
            **message,
            "text": text,
            "entities": _entities(text),
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

    async def wait_until(self, condition: Callable[[], T | None], within: float = 10.0) -> T:
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
        if method == "getUpdates":
            try:
                return 200, {"ok": True, "result": await self._get_updates(params)}
            except Exception:  # the server is stopping under a pending long poll
                return 200, {"ok": True, "result": []}
        failure = self._injected_failure(method, params)
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
        except _ApiError as exc:
            return exc.status, {"ok": False, "error_code": exc.status, "description": exc.text}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]

        def ready() -> bool:
            return bool(self._updates)

        if not ready() and timeout:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(ready), timeout)
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(int(params["chat_id"]))
        if chat is None:
            raise _ApiError(400, "Bad Request: chat not found")
        return chat

    def _text(self, params: dict[str, Any], key: str = "text") -> tuple[str, list]:
        raw = params.get(key) or ""
        if params.get("parse_mode") == "HTML":
            try:
                text, entities = parse_html(raw)
            except HtmlError as exc:
                raise _ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        else:
            text, entities = raw, []
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _store_bot_message(self, chat: dict, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            **{k: v for k, v in content.items() if v is not None},
        }
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        scope = params.get("scope") or '{"type": "default"}'
        key = f"{json.loads(scope)!s}|{params.get('language_code') or ''}"
        self.commands[key] = _json(params["commands"])
        return True

    def _m_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        text, entities = self._text(params)
        reply = _json(params.get("reply_parameters"))
        reply_to = None
        if reply:
            reply_to = self.messages.get((chat["id"], int(reply["message_id"])))
        return self._store_bot_message(
            chat,
            text=text,
            entities=entities or None,
            html=params.get("text"),
            reply_markup=_json(params.get("reply_markup")),
            reply_to_message=reply_to,
        )

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        key = (chat["id"], int(params["message_id"]))
        message = self.messages.get(key)
        if message is None or message.get("from") != BOT_USER:
            raise _ApiError(400, "Bad Request: message to edit not found")
        text, entities = self._text(params)
        markup = _json(params.get("reply_markup"))
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        edited = {
            **message,
            "text": text,
            "html": params.get("text"),
            "edit_date": int(time.time()),
        }
        edited.pop("reply_markup", None)
        if markup:
            edited["reply_markup"] = markup
        edited["entities"] = entities
        self.messages[key] = edited
        return edited

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        key = (chat["id"], int(params["message_id"]))
        if key not in self.messages:
            raise _ApiError(400, "Bad Request: message to edit not found")
        edited = {**self.messages[key]}
        edited.pop("reply_markup", None)
        if params.get("reply_markup"):
            edited["reply_markup"] = _json(params["reply_markup"])
        self.messages[key] = edited
        return edited

    def _source(self, params: dict[str, Any]) -> dict[str, Any]:
        source = self.messages.get((int(params["from_chat_id"]), int(params["message_id"])))
        if source is None:
            raise _ApiError(400, "Bad Request: message to copy not found")
        return source

    def _m_copyMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, source = self._chat(params), self._source(params)
        content = {k: v for k, v in source.items() if k not in _ENVELOPE}
        reply = _json(params.get("reply_parameters"))
        if reply:
            content["reply_to_message"] = self.messages.get((chat["id"], int(reply["message_id"])))
        copy = self._store_bot_message(
            chat, copied_from=(source["chat"]["id"], source["message_id"]), **content
        )
        return {"message_id": copy["message_id"]}

    def _m_forwardMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, source = self._chat(params), self._source(params)
        content = {k: v for k, v in source.items() if k not in _ENVELOPE}
        origin = {"type": "user", "date": source["date"], "sender_user": source.get("from")}
        return self._store_bot_message(chat, forward_origin=origin, **content)


_ENVELOPE = {"message_id", "date", "chat", "from", "reply_to_message", "edit_date", "html"}


class _ApiError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def _entities(text: str) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    command = re.match(r"/[A-Za-z0-9_]+(@\w+)?", text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": len(command.group())})
    for mention in re.finditer(r"@\w+", text):
        if command and mention.start() < command.end():
            continue
        entities.append(
            {"type": "mention", "offset": mention.start(), "length": len(mention.group())}
        )
    return entities


class _MethodHandler(tornado.web.RequestHandler):
    """POST /bot<token>/<method> with form, multipart or JSON parameters."""

    def initialize(self, fake: FakeBotApi) -> None:
        self.fake = fake

    async def post(self, token: str, method: str) -> None:
        if token != TOKEN:
            self.set_status(401)
            self.finish({"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(self.request.body or b"{}")
        else:
            params = {k: v[-1].decode() for k, v in self.request.body_arguments.items()}
        call = ApiCall(method, params)
        status, body = await self.fake.handle(method, params)
        call.status = status
        if method != "getUpdates":
            self.fake.calls.append(call)
            self.fake._notify()
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    get = post
