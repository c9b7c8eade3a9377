"""``SendLane``: outbox replies sent and marked sent on a thread of their own.

Between Telegram accepting a reply and the outbox row saying ``sent`` lies the one window in
which a crash repeats a reply. On the bot's event loop that window holds more than one HTTP
response and one ``UPDATE``: once Telegram has answered, the sending task waits for the loop to
get round to it, behind every other chat's retrieval, answering and database work. With 32 chats
answered at once on two busy cores that wait was tens to hundreds of milliseconds (68-204 ms
mean measured), so a SIGKILL in a burst of sends nearly always caught every send in flight.

The lane runs its own event loop on its own thread with its own Bot API client and its own
sent-marks connection (``bot.delivery.marks.SentMarks``), and does nothing else: when Telegram
answers, the lane gets the interpreter within a thread switch (5 ms), parses the response and
commits the mark. The handler on the bot's loop awaits the result as before. At most
``SENDS_IN_FLIGHT`` replies are in the lane at once (a slot per try, so a reply waiting out a 429
holds none), which also bounds what one crash can repeat.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.channels.telegram.outgoing import send_or_edit_once
from bot.channels.telegram.retries import with_retries
from bot.delivery.marks import SentMarks
from bot.observability import events

log = logging.getLogger(__name__)
T = TypeVar("T")
SENDS_IN_FLIGHT = 4
"""Per process, at most this many replies are between "handed to Telegram" and "marked sent"
at once: the most one crash can repeat. Telegram's own limit is about 30 messages a second,
and four sends in flight keep up with it at round trips up to about 130 ms."""


class _OutboxRetriesTheseFilter(logging.Filter):
    """Drops PTB's ``AIORateLimiter`` report of a 429 it does not retry itself (``max_retries``
    0): it is an ERROR with a traceback for every 429, while the outbox retries the send and
    logs one INFO line naming the chat and the wait (``retries.with_retries``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.msg == "Rate limit hit after maximum of %d retries" and record.args == (0,)
        )


def _quiet_limiter_reports() -> None:
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(f, _OutboxRetriesTheseFilter) for f in limiter_log.filters):
        limiter_log.addFilter(_OutboxRetriesTheseFilter())


class SendLane:
    """The lane's thread, loop, client and marks (see the module docstring)."""

    def __init__(self, bot: Bot, database_url: str) -> None:
        self.token = bot.token
        self.base_url = bot.base_url.removesuffix(bot.token)
        self.database_url = database_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="send-lane")
        self._thread.daemon = True  # a SIGKILL-like end of the process must not wait for it
        self._bot: ExtBot[Any] | None = None
        self._marks: SentMarks | None = None
        self._slots: asyncio.Semaphore | None = None
        self.waiting = 0  # replies ready to go, waiting for one of the slots (tests read it)

    async def start(self) -> None:
        """Start the thread and open the lane's client and database engine."""
        self._thread.start()
        await self._in_lane(self._open())

    async def close(self) -> None:
        """Write the marks still queued, close the client and engine, end the thread."""
        if not self._thread.is_alive():
            return
        try:
            await self._in_lane(self._close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join, 10)
            if not self._loop.is_running():
                self._loop.close()

    async def send_and_mark(
        self, kind: str, body: dict[str, Any], outbox_id: int, *, within: float
    ) -> int | None:
        """One outbox reply, retried for ``within`` seconds, marked sent when Telegram has it;
        its message id (None: an edit Telegram refused for good)."""
        return await self._in_lane(self._send_and_mark(kind, body, outbox_id, within))

    async def _in_lane(self, work: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    async def _open(self) -> None:
        request = HTTPXRequest(connection_pool_size=SENDS_IN_FLIGHT + 2)
        limiter = AIORateLimiter(max_retries=0)  # 429s are the outbox's retries, not PTB's
        _quiet_limiter_reports()
        self._bot = ExtBot(
            self.token, base_url=self.base_url, request=request, rate_limiter=limiter
        )
        await self._bot.initialize()
        self._marks = SentMarks.on_own_engine(self.database_url)
        self._slots = asyncio.Semaphore(SENDS_IN_FLIGHT)

    async def _close(self) -> None:
        if self._marks is not None:
            await self._marks.close()
        if self._bot is not None:
            await self._bot.shutdown()

    async def _send_and_mark(
        self, kind: str, body: dict[str, Any], outbox_id: int, within: float
    ) -> int | None:
        bot, marks, slots = self._bot, self._marks, self._slots
        assert bot is not None and marks is not None and slots is not None, "start() first"

        async def attempt() -> int | None:
            self.waiting += 1
            try:
                await slots.acquire()
            finally:
                self.waiting -= 1
            try:
                message_id = await send_or_edit_once(bot, kind, body)
                if message_id is not None:
                    accepted = time.monotonic()
                    await marks.mark(outbox_id, message_id)
                    events.sent_mark_took(time.monotonic() - accepted)
                return message_id
            finally:
                slots.release()

        return await with_retries(attempt, within=within, chat_id=body.get("chat_id"))
