"""Updates in: stored in the inbox *before* Telegram is told they arrived.

Long polling (``poll_updates``): ``getUpdates(offset)`` returns a batch; the batch is stored
(idempotently) and only then is the offset moved past it, so the *next* ``getUpdates`` — the
call that confirms the batch to Telegram — happens after the store committed. A crash before the
store means Telegram sends the batch again; after it, the inbox has it. PTB's own ``Updater``
confirms a batch with its next poll before any handler ran, which is why it is not used.

Webhook (``WebhookServer``): the update is stored, then answered 200; a failed store answers 500
and Telegram retries. PTB's webhook server answers 200 once the update is in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.conversation.exchange import without_lone_surrogates
from bot.delivery import DeliveryService, Received

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def clean_text(value: Any) -> Any:
    """``value`` with every lone UTF-16 surrogate (JSON can carry ``\\ud800``) replaced by
    U+FFFD, in every string inside it: no database or Telegram call can encode those."""
    if isinstance(value, str):
        return without_lone_surrogates(value)
    if isinstance(value, dict):
        return {k: clean_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_text(v) for v in value]
    return value


def received_of(update: Update, payload: dict[str, Any] | None = None) -> Received:
    """The inbox identity of an update: its id, and chat + message (or callback query) id."""
    payload = clean_text(payload if payload is not None else update.to_dict())
    chat = update.effective_chat
    chat_id = chat.id if chat is not None else 0
    message = update.message or update.edited_message or update.channel_post
    sent_at: datetime | None = None
    if update.callback_query is not None:
        key = f"cb:{update.callback_query.id}"
    elif message is not None:
        if update.edited_message is not None:
            edited = int(message.edit_date.timestamp()) if message.edit_date else 0
            key = f"e:{chat_id}:{message.message_id}:{edited}"
            sent_at = message.edit_date or message.date
        else:
            key = f"m:{chat_id}:{message.message_id}"
            sent_at = message.date
    else:
        key = f"u:{update.update_id}"
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    return Received(update.update_id, key, chat_id, payload, sent_at)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def poll_updates(
    bot: Bot,
    delivery: DeliveryService,
    *,
    stop: asyncio.Event,
    on_stored: Callable[[], None],
    allowed_updates: list[str],
    poll_seconds: int = 10,
) -> None:
    """Long-poll until ``stop`` is set; every batch stored before its offset is confirmed."""
    offset: int | None = None
    backoff = 0.5
    while not stop.is_set():
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=poll_seconds, allowed_updates=allowed_updates,
                read_timeout=poll_seconds + 10,
            )  # fmt: skip
        except InvalidToken:
            raise
        except NetworkError as exc:  # Telegram or the network is down: PTB-style retry
            log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
            await _pause(stop, backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 0.5
        if not updates:
            continue
        try:
            await delivery.store([received_of(u) for u in updates])
        except Exception:  # not stored: do not confirm; Telegram will send them again
            log.exception("could not store %d updates; fetching them again", len(updates))
            await _pause(stop, 1.0)
            continue
        offset = updates[-1].update_id + 1
        on_stored()
    if offset is not None:  # confirm the last stored batch, so a restart does not refetch it
        with contextlib.suppress(TelegramError, asyncio.CancelledError):
            await bot.get_updates(offset=offset, timeout=0, allowed_updates=allowed_updates)


class _WebhookHandler(tornado.web.RequestHandler):
    """POST <path>: check the secret, store the update, then 200."""

    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    async def post(self) -> None:
        secret = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(secret.encode(), self.server.secret.encode()):
            self.set_status(403)
            return
        try:
            payload = json.loads(self.request.body or b"{}")
            update = Update.de_json(payload, self.server.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        try:
            await self.server.delivery.store([received_of(update, payload)])
        except Exception:
            log.exception("could not store webhook update %s", payload.get("update_id"))
            self.set_status(500)  # Telegram retries the delivery
            return
        self.server.on_stored()
        self.set_status(200)


class WebhookServer:
    """The webhook endpoint on ``listen:port``/``path`` (behind the TLS-terminating proxy)."""

    def __init__(
        self,
        bot: Bot,
        delivery: DeliveryService,
        *,
        path: str,
        secret: str,
        on_stored: Callable[[], None],
    ) -> None:
        self.bot, self.delivery, self.secret, self.on_stored = bot, delivery, secret, on_stored
        self.path = "/" + path.strip("/")
        self._server: tornado.httpserver.HTTPServer | None = None

    def start(self, listen: str, port: int) -> None:
        app = tornado.web.Application([(self.path, _WebhookHandler, {"server": self})])
        sockets = tornado.netutil.bind_sockets(port, listen, family=socket.AF_UNSPEC)
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        """Stop accepting; requests being stored finish (Telegram retries what is refused)."""
        if self._server is not None:
            self._server.stop()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.close_all_connections(), 5)
