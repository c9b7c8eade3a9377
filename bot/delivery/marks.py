"""``SentMarks``: "Telegram has this reply" written the moment Telegram says so.

Between Telegram accepting a reply and the outbox row saying ``sent`` lies the one window in
which a crash repeats a reply (the Bot API has no idempotency key). With 32 answers in
flight and a pool of 15 connections, a mark used to wait for a free pooled connection behind
retrieval and answering work: 13-33 ms median, 250 ms under load. Here every mark goes through
one connection kept for this purpose alone, and marks that arrive while a write is running are
written together in the next transaction (group commit), so a mark waits at most for one
earlier small write and its own. The connection commits every statement on its own, so a batch
is one ``UPDATE`` and one round trip, and on PostgreSQL that commit does not wait for the WAL
flush (``storage.db.open_quick_commit_connection``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.db import close_quick_commit_connection, make_engine, open_quick_commit_connection
from storage.models import utcnow
from storage.repositories import outbox

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Mark:
    outbox_id: int
    channel_message_id: int | None
    at: datetime
    done: asyncio.Future[None]


class SentMarks:
    """Batched sent-marks over a dedicated connection (see the module docstring).

    The connection is held while marks keep coming and given back to the pool after
    ``linger`` idle seconds (and by ``close``), so nothing stays checked out when the bot is
    quiet or stops.
    """

    def __init__(
        self, engine: AsyncEngine, clock: Callable[[], datetime], *, linger: float = 2.0
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.linger = linger
        self._queue: list[_Mark] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0  # transactions written (tests read it)
        self._owns_engine = False

    @classmethod
    def on_own_engine(cls, database_url: str) -> SentMarks:
        """Marks on an engine of their own, for another event loop (``SendLane``'s thread);
        ``close`` disposes of it."""
        marks = cls(make_engine(database_url), utcnow)
        marks._owns_engine = True
        return marks

    async def mark(self, outbox_id: int, channel_message_id: int | None) -> None:
        """Return once the mark is committed; raises what the write raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(_Mark(outbox_id, channel_message_id, self.clock(), done))
        self._wake.set()
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all(), name="outbox-sent-marks")
        await done

    async def idle(self) -> None:
        """Wait until the writer has gone quiet and given its connection back."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def close(self) -> None:
        """Write what is queued, then give the connection back."""
        self._closing = True
        self._wake.set()
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._owns_engine:
            await self.engine.dispose()

    async def _write_all(self) -> None:
        connection: AsyncConnection | None = None
        try:
            while self._queue or await self._more_coming():
                batch, self._queue = self._queue, []
                try:
                    connection = connection or await open_quick_commit_connection(self.engine)
                    await self._write(connection, batch)
                except Exception as exc:
                    log.warning("sent marks failed (%s); the connection is opened again", exc)
                    await _discard(connection)
                    connection = None
                    _settle(batch, exc)
                    continue
                _settle(batch, None)
        finally:
            if connection is not None:
                await close_quick_commit_connection(connection)

    async def _more_coming(self) -> bool:
        """Wait up to ``linger`` for the next mark; False (and no writer) when none came."""
        self._wake.clear()
        if not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.linger)
        if self._queue:
            return True
        self._writer = None  # decided before any await: the next mark starts a new writer
        return False

    async def _write(self, connection: AsyncConnection, batch: list[_Mark]) -> None:
        sent = {item.outbox_id: item.channel_message_id for item in batch}
        async with AsyncSession(bind=connection) as session:
            await outbox.mark_sent_many(session=session, sent=sent, now=batch[-1].at)
            await session.commit()
        self.batches += 1


def _settle(batch: list[_Mark], error: Exception | None) -> None:
    for item in batch:
        if item.done.done():  # its sender was cancelled meanwhile; the write went on
            continue
        if error is None:
            item.done.set_result(None)
        else:
            item.done.set_exception(error)


async def _discard(connection: AsyncConnection | None) -> None:
    """A connection a write failed on is not given back to the pool as if healthy."""
    if connection is None:
        return
    try:
        await connection.invalidate()
        await connection.close()
    except Exception:  # already broken: nothing more to give back
        log.debug("closing a broken sent-marks connection failed", exc_info=True)
