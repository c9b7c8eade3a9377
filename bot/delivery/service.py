"""``DeliveryService``: the inbox and outbox transactions a channel needs, one method each.

Every method is its own committed transaction: the point of the inbox is that an update is on
disk before the channel tells its source "received", and the point of the outbox is that a
reply is on disk before it is sent and marked sent right after. Channels get plain values
(``InboxEntry``, ``OutboxEntry``), never storage rows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import InboxItem, OutboxItem, utcnow
from storage.repositories import inbox, outbox
from storage.repositories.inbox import Received

log = logging.getLogger(__name__)
__all__ = ["REDELIVERY_HORIZON", "DeliveryService", "InboxEntry", "OutboxEntry", "Received"]
# How long a done item is kept to recognise a redelivery: Telegram keeps an unconfirmed update
# for 24 hours; past this, an update id that comes again is a new update under a reused id.
REDELIVERY_HORIZON = timedelta(hours=48)


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One claimed inbox item, as the channel handles it."""

    id: int
    update_id: int
    chat_id: int
    payload: dict[str, Any]
    sent_at: datetime | None
    received_at: datetime
    handled: bool  # an earlier claim ran the handler to its end: only its outbox is left
    answer: dict[str, Any] | None  # the conversation's reply from an earlier claim
    attempts: int
    token: str  # the claim; every write checks it is still ours

    @classmethod
    def of(cls, item: InboxItem) -> InboxEntry:
        return cls(
            id=item.id,
            update_id=item.update_id,
            chat_id=item.chat_id,
            payload=item.payload,
            sent_at=item.sent_at,
            received_at=item.received_at,
            handled=item.handled,
            answer=item.answer,
            attempts=item.attempts,
            token=item.claim_token or "",
        )


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One reply of an inbox item: what to send, and whether it went out."""

    id: int
    seq: int
    chat_id: int
    kind: str
    body: dict[str, Any]
    state: str
    channel_message_id: int | None

    @classmethod
    def of(cls, row: OutboxItem) -> OutboxEntry:
        return cls(row.id, row.seq, row.chat_id, row.kind, row.body, row.state,
                   row.channel_message_id)  # fmt: skip

    @property
    def sent(self) -> bool:
        return self.state == "sent"

    @property
    def pending(self) -> bool:
        return self.state == "pending"


class DeliveryService:
    """Inbox and outbox of one channel, for one instance (``holder``) of the bot."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        channel: str,
        holder: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session_factory = session_factory
        self.channel = channel
        self.holder = holder
        self.clock = clock

    # --- inbox ---------------------------------------------------------------------------------
    async def store(self, received: Sequence[Received]) -> list[int]:
        """Store updates idempotently (committed when this returns); ids of the new ones."""
        for attempt in range(3):
            try:
                async with self.session_factory() as s, s.begin():
                    return await inbox.add_new(
                        session=s,
                        channel=self.channel,
                        received=received,
                        now=self.clock(),
                        reuse_after=REDELIVERY_HORIZON,
                    )
            except IntegrityError:  # stored concurrently (a webhook retry): look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def claim(
        self, limit: int, *, lease: timedelta, exclude_chats: Sequence[int] = ()
    ) -> list[InboxEntry]:
        """Up to ``limit`` due chat heads, claimed for ``lease``."""
        now = self.clock()
        async with self.session_factory() as s, s.begin():
            items = await inbox.claim(
                session=s,
                channel=self.channel,
                holder=self.holder,
                token=uuid.uuid4().hex,
                now=now,
                lease_until=now + lease,
                limit=limit,
                exclude_chats=exclude_chats,
            )
            return [InboxEntry.of(item) for item in items]

    async def renew(self, entry: InboxEntry, lease: timedelta) -> bool:
        async with self.session_factory() as s, s.begin():
            return bool(
                await inbox.renew(session=s, token=entry.token, lease_until=self.clock() + lease)
            )

    async def save_answer(self, entry: InboxEntry, answer: dict[str, Any]) -> bool:
        async with self.session_factory() as s, s.begin():
            return await inbox.save_answer(
                session=s, item_id=entry.id, token=entry.token, answer=answer
            )

    async def finish(self, entry: InboxEntry) -> bool:
        """Handled, and every reply sent (or refused for good): done."""
        async with self.session_factory() as s, s.begin():
            done = await inbox.finish(
                session=s, item_id=entry.id, token=entry.token, handled=True, now=self.clock()
            )
        if not done:
            log.warning("inbox item %s: lease lost before it was finished", entry.id)
        return done

    async def release(self, entry: InboxEntry, *, handled: bool, delay: float = 0.0) -> bool:
        """Hand the item back, to be claimed again after ``delay`` seconds."""
        not_before = self.clock() + timedelta(seconds=delay) if delay else None
        async with self.session_factory() as s, s.begin():
            return await inbox.release(
                session=s, item_id=entry.id, token=entry.token, handled=handled,
                not_before=not_before,
            )  # fmt: skip

    async def release_own(self) -> int:
        """At start: this instance's claims from a run that died are pending again."""
        async with self.session_factory() as s, s.begin():
            return await inbox.release_holder(session=s, channel=self.channel, holder=self.holder)

    async def open_count(self) -> int:
        async with self.session_factory() as s:
            return await inbox.count_open(session=s, channel=self.channel)

    async def purge(self, keep: timedelta) -> int:
        """Forget done items older than ``keep`` (they only served to recognise redeliveries)."""
        async with self.session_factory() as s, s.begin():
            return await inbox.purge_done(session=s, before=self.clock() - keep)

    # --- outbox --------------------------------------------------------------------------------
    async def outbox_of(self, entry: InboxEntry) -> list[OutboxEntry]:
        async with self.session_factory() as s:
            return [OutboxEntry.of(r) for r in await outbox.for_item(session=s, inbox_id=entry.id)]

    async def record(
        self, entry: InboxEntry, seq: int, chat_id: int, kind: str, body: dict[str, Any]
    ) -> OutboxEntry:
        """Store one reply before it is sent."""
        async with self.session_factory() as s, s.begin():
            return OutboxEntry.of(await self._add(s, entry, seq, chat_id, kind, body))

    async def record_shown(
        self,
        entry: InboxEntry,
        seq: int,
        chat_id: int,
        kind: str,
        body: dict[str, Any],
        channel_message_id: int,
    ) -> OutboxEntry:
        """Store a message the channel has already shown (a streamed preview), as sent."""
        async with self.session_factory() as s, s.begin():
            row = await self._add(s, entry, seq, chat_id, kind, body)
            await outbox.mark_sent(
                session=s, outbox_id=row.id, channel_message_id=channel_message_id,
                now=self.clock(),
            )  # fmt: skip
        return OutboxEntry(row.id, seq, chat_id, kind, body, "sent", channel_message_id)

    async def _add(
        self, s: AsyncSession, entry: InboxEntry, seq: int, chat_id: int, kind: str,
        body: dict[str, Any],
    ) -> OutboxItem:  # fmt: skip
        """Insert one outbox row of ``entry`` (in the caller's transaction)."""
        return await outbox.add(
            session=s, inbox_id=entry.id, seq=seq, chat_id=chat_id, kind=kind, body=body,
            now=self.clock(),
        )  # fmt: skip

    async def replace(self, row: OutboxEntry, kind: str, body: dict[str, Any]) -> None:
        async with self.session_factory() as s, s.begin():
            await outbox.replace(session=s, outbox_id=row.id, kind=kind, body=body)

    async def sent(self, row: OutboxEntry, channel_message_id: int | None) -> None:
        """The channel accepted the reply: never send it again. (The Telegram channel marks
        through ``SentMarks`` on its send lane instead, as soon as Telegram answers.)"""
        async with self.session_factory() as s, s.begin():
            await outbox.mark_sent(
                session=s, outbox_id=row.id, channel_message_id=channel_message_id,
                now=self.clock(),
            )  # fmt: skip

    async def not_sent(self, row: OutboxEntry, error: str, *, permanent: bool) -> None:
        """A try failed; ``permanent``: the channel refuses this reply for good."""
        async with self.session_factory() as s, s.begin():
            await outbox.mark_attempt(session=s, outbox_id=row.id, error=error, failed=permanent)

    # --- a stream the reader confirms (the web chat) -------------------------------------------
    async def stream_after(
        self, chat_id: int, after_id: int, limit: int = 100
    ) -> list[OutboxEntry]:
        """The chat's replies with an id above ``after_id``, in order (sent ones too)."""
        async with self.session_factory() as s:
            rows = await outbox.for_chat_after(
                session=s, channel=self.channel, chat_id=chat_id, after_id=after_id, limit=limit
            )
            return [OutboxEntry.of(r) for r in rows]

    async def finish_with(self, entry: InboxEntry, bodies: list[dict[str, Any]]) -> list[int]:
        """Store the item's replies (numbered 1, 2, …) and finish it, in one transaction: the
        reader confirms them later. Ids of the rows; none when the lease was lost (nothing
        is written then: whoever holds the item now stores them)."""
        async with self.session_factory() as s, s.begin():
            done = await inbox.finish(
                session=s, item_id=entry.id, token=entry.token, handled=True, now=self.clock()
            )
            if not done:
                return []
            rows = [
                await self._add(s, entry, seq, entry.chat_id, "event", body)
                for seq, body in enumerate(bodies, start=1)
            ]
            return [row.id for row in rows]

    async def chats_after(self, after_id: int) -> list[tuple[int, int]]:
        """(chat id, newest row id) of the chats with rows above ``after_id``."""
        async with self.session_factory() as s:
            return await outbox.chats_after(session=s, channel=self.channel, after_id=after_id)

    async def newest_row_id(self) -> int:
        async with self.session_factory() as s:
            return await outbox.newest_id(session=s)

    async def confirm(self, chat_id: int, upto_id: int) -> int:
        """The reader holds every reply of the chat up to ``upto_id``: they are sent."""
        async with self.session_factory() as s, s.begin():
            return await outbox.confirm_chat(
                session=s, channel=self.channel, chat_id=chat_id, upto_id=upto_id,
                now=self.clock(),
            )  # fmt: skip

    async def forget_chat(self, chat_id: int, before_id: int) -> int:
        """Delete the chat's replies older than ``before_id`` and its finished updates (the
        customer's ``/forget``; the reply saying so stays)."""
        async with self.session_factory() as s, s.begin():
            return await outbox.forget_chat(
                session=s, channel=self.channel, chat_id=chat_id, before_id=before_id
            )
