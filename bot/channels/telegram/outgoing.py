"""Replies that survive failures: the outbox scope of one inbox item, and bounded retries.

While the inbox worker handles an item, ``current_scope()`` is that item's ``DeliveryScope``
(a context variable, so tasks the handler starts inherit it). ``sending.send_text`` and
``edit_text`` then go through ``DeliveryScope.deliver``: the n-th reply of the item is stored in
the outbox (``seq`` n) *before* it is sent, then sent and marked sent with Telegram's message id
on the process's ``send_lane.SendLane``. A replay of the item (after a crash) skips the replies
already sent, so the customer sees each once. A reply that keeps failing (429, 5xx, reset
connections) for ``send_retry_seconds`` stays pending: the handler carries on, the rest of its
replies are only stored, and the inbox worker sends them later in order; the chat's next
message waits until they are out.
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    TelegramError,
)

from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.retries import StillFailing, with_retries
from bot.delivery import DeliveryService, InboxEntry, OutboxEntry

if TYPE_CHECKING:
    from bot.channels.telegram.send_lane import SendLane

log = logging.getLogger(__name__)
T = TypeVar("T")
PLACEHOLDER_ID = 0  # the message id a handler sees for a reply that is stored, not yet sent
PREVIEW_SEQ = 0  # an item's streamed preview, kept apart from its numbered replies
GIVEN_UP_NOTE = "supportbot: the outbox gave this reply up and logged why"


def was_given_up(exc: BaseException | None) -> bool:
    """The outbox already logged this refusal of a reply (see ``DeliveryScope._given_up``)."""
    return GIVEN_UP_NOTE in getattr(exc, "__notes__", ())


def send_body(
    chat_id: int,
    html: str,
    plain: str,
    markup: InlineKeyboardMarkup | None,
    reply_to: int | None,
) -> dict[str, Any]:
    """A message to send, as stored in the outbox (JSON)."""
    return {
        "chat_id": chat_id,
        "html": html,
        "plain": plain,
        "markup": markup.to_dict() if markup is not None else None,
        "reply_to": reply_to,
    }


async def _send_once(bot: Bot, body: dict[str, Any]) -> int:
    """Send as HTML; if Telegram refuses the HTML, the same words as plain text."""
    chat_id, reply_to = body["chat_id"], body.get("reply_to")
    markup = InlineKeyboardMarkup.de_json(body["markup"], bot) if body.get("markup") else None
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        sent: Message = await bot.send_message(
            chat_id, body["html"], parse_mode=ParseMode.HTML, reply_markup=markup,
            reply_parameters=reply,
        )  # fmt: skip
        return sent.message_id
    except BadRequest as exc:
        log.warning("HTML message rejected (%s); sending plain text", exc.message)
    plain: str = body["plain"]
    pieces = [plain] if len(plain) <= 4000 else [p.plain for p in split_text(plain, 3500)]
    message_id = PLACEHOLDER_ID
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        sent = await bot.send_message(
            chat_id, piece, reply_markup=markup if last else None,
            reply_parameters=reply if index == 0 else None,
        )  # fmt: skip
        message_id = sent.message_id
    return message_id


async def _edit_once(bot: Bot, body: dict[str, Any]) -> int | None:
    """Replace a message's text (HTML, else plain); None when Telegram refuses both."""
    markup = InlineKeyboardMarkup.de_json(body["markup"], bot) if body.get("markup") else None
    for text, mode in ((body["html"], ParseMode.HTML), (body["plain"], None)):
        try:
            await bot.edit_message_text(
                text, chat_id=body["chat_id"], message_id=body["message_id"], parse_mode=mode,
                reply_markup=markup,
            )  # fmt: skip
            return int(body["message_id"])
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return int(body["message_id"])
            log.warning("edit rejected (%s)", exc.message)
    return None


async def send_or_edit_once(bot: Bot, kind: str, body: dict[str, Any]) -> int | None:
    """One try of one outbox reply; its message id (None: an edit was refused)."""
    return await (_edit_once(bot, body) if kind == "edit" else _send_once(bot, body))


async def transmit(bot: Bot, kind: str, body: dict[str, Any], *, within: float) -> int | None:
    """One reply to Telegram, retried; its message id (None: an edit was refused)."""
    return await with_retries(
        lambda: send_or_edit_once(bot, kind, body), within=within, chat_id=body.get("chat_id")
    )


@dataclass(slots=True)
class DeliveryScope:
    """The outbox of one inbox item while it is handled (see the module docstring)."""

    delivery: DeliveryService
    entry: InboxEntry
    rows: dict[int, OutboxEntry]
    retry_within: float
    lane: SendLane  # where replies are sent and marked (see send_lane)
    seq: int = 0
    deferred: bool = False  # a reply is pending: later ones are stored, not sent now
    closing: bool = False  # the bot is stopping: what the handler sends now is not recorded
    preview_taken: bool = False  # earlier_preview has been handed out
    answers: list[dict[str, Any]] = field(default_factory=list)

    async def deliver(self, bot: Bot, kind: str, body: dict[str, Any]) -> int | None:
        """The n-th reply of this item: stored, sent (or left pending), never sent twice."""
        if self.closing:
            return await transmit(bot, kind, body, within=0)
        self.seq += 1
        row = self.rows.get(self.seq)
        if row is not None and not row.pending:
            return row.channel_message_id if row.sent else None
        if row is None:
            row = await self.delivery.record(self.entry, self.seq, body["chat_id"], kind, body)
        elif (row.kind, row.body) != (kind, body):
            await self.delivery.replace(row, kind, body)
        if self.deferred:
            return PLACEHOLDER_ID
        try:
            message_id = await self.lane.send_and_mark(kind, body, row.id, within=self.retry_within)
        except StillFailing as exc:
            log.warning("inbox item %s: reply %s left pending (%s)", self.entry.id, self.seq, exc)
            await self.delivery.not_sent(row, str(exc), permanent=False)
            self.deferred = True
            return PLACEHOLDER_ID
        except (BadRequest, Forbidden) as exc:
            self._given_up(body, exc)
            await self.delivery.not_sent(row, str(exc), permanent=True)
            raise
        if message_id is None:  # an edit refused for good: the caller sends instead
            await self.delivery.not_sent(row, "edit refused", permanent=True)
        return message_id

    def _given_up(self, body: dict[str, Any], exc: TelegramError) -> None:
        """Telegram refuses this reply for good: the one line that says so (the error handler
        recognises the note and adds nothing)."""
        log.error(
            "reply given up: chat %s, update %s, inbox item %s: %s",
            body.get("chat_id"), self.entry.update_id, self.entry.id, exc,
        )  # fmt: skip
        exc.add_note(GIVEN_UP_NOTE)

    def earlier_preview(self) -> int | None:
        """The preview message an earlier claim of this item showed, if any: a replay finishes
        that message instead of leaving it half-written above a new one. Handed out once, so
        no second stream of the item could edit it."""
        if self.preview_taken:
            return None
        self.preview_taken = True
        row = self.rows.get(PREVIEW_SEQ)
        return row.channel_message_id if row is not None and row.sent else None

    async def remember_preview(self, chat_id: int, message_id: int) -> None:
        """Keep the id of the preview just shown (``earlier_preview``), stored as sent."""
        if self.closing or PREVIEW_SEQ in self.rows:
            return
        body = {"chat_id": chat_id, "message_id": message_id}
        self.rows[PREVIEW_SEQ] = await self.delivery.record_shown(
            self.entry, PREVIEW_SEQ, chat_id, "preview", body, message_id
        )

    async def flush(self) -> bool:
        """Send this item's pending replies in order; True when none is left pending.

        A pending edit of a streamed preview becomes one final send: the preview may be gone,
        and a new message is what the customer notices anyway.
        """
        for seq in sorted(self.rows):
            row = self.rows[seq]
            if not row.pending or seq == PREVIEW_SEQ:
                continue
            kind, body = row.kind, row.body
            if kind == "edit":
                kind, body = "send", {k: v for k, v in body.items() if k != "message_id"}
                await self.delivery.replace(row, kind, body)
            try:
                await self.lane.send_and_mark(kind, body, row.id, within=self.retry_within)
            except StillFailing as exc:
                await self.delivery.not_sent(row, str(exc), permanent=False)
                return False
            except (BadRequest, Forbidden) as exc:
                self._given_up(body, exc)
                await self.delivery.not_sent(row, str(exc), permanent=True)
                continue
        return True


_CURRENT: contextvars.ContextVar[DeliveryScope | None] = contextvars.ContextVar(
    "supportbot_delivery_scope", default=None
)


def current_scope() -> DeliveryScope | None:
    """The outbox scope of the inbox item being handled in this task, if any."""
    return _CURRENT.get()


def enter_scope(scope: DeliveryScope) -> contextvars.Token[DeliveryScope | None]:
    return _CURRENT.set(scope)


def leave_scope(token: contextvars.Token[DeliveryScope | None]) -> None:
    _CURRENT.reset(token)
