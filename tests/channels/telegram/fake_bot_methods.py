"""The Bot API methods of the fake server: what Telegram checks, answered the way it answers.

A mixin of ``FakeBotApi`` (which holds the chats and messages); ``_m_<method>`` implements one
Bot API method and raises ``ApiError`` for Telegram's error replies.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import tornado.web

from tests.channels.telegram.fake_html import HtmlError, parse_html

if TYPE_CHECKING:
    from tests.channels.telegram.fake_bot_api import FakeBotApi

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 1000, "is_bot": True, "first_name": "Acme Support", "username": "acme_help_bot"}
_ENVELOPE = {"message_id", "date", "chat", "from", "reply_to_message", "edit_date", "html"}


class ApiError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


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


class BotApiMethods:
    """Bot API methods over the fake's state (chats, messages, menus, webhook)."""

    chats: dict[int, dict[str, Any]]
    messages: dict[tuple[int, int], dict[str, Any]]
    commands: dict[str, list[dict[str, Any]]]
    webhook: dict[str, Any]

    def _next_message_id(self, chat_id: int) -> int:
        raise NotImplementedError

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(int(params["chat_id"]))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _text(self, params: dict[str, Any], key: str = "text") -> tuple[str, list]:
        raw = params.get(key) or ""
        if params.get("parse_mode") == "HTML":
            try:
                text, entities = parse_html(raw)
            except HtmlError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        else:
            text, entities = raw, []
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ApiError(400, "Bad Request: message is too long")
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
            raise ApiError(400, "Bad Request: message to edit not found")
        text, entities = self._text(params)
        markup = _json(params.get("reply_markup"))
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise ApiError(
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
            raise ApiError(400, "Bad Request: message to edit not found")
        edited = {**self.messages[key]}
        edited.pop("reply_markup", None)
        if params.get("reply_markup"):
            edited["reply_markup"] = _json(params["reply_markup"])
        self.messages[key] = edited
        return edited

    def _source(self, params: dict[str, Any]) -> dict[str, Any]:
        source = self.messages.get((int(params["from_chat_id"]), int(params["message_id"])))
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
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


def entities_of(text: str) -> list[dict[str, Any]]:
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


class MethodHandler(tornado.web.RequestHandler):
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
        status, body = await self.fake.handle(method, params)
        if status == 0:  # an injected reset: drop the connection without an answer
            self.request.connection.stream.close()  # type: ignore[union-attr]
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    get = post
