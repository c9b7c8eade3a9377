"""Who is listening right now: the open event streams of each visitor, told what is new.

The outbox in the database is what a stream sends; ``LiveStreams`` only wakes the streams of a
chat when a row was written for it (``rows``) and passes on the text of an answer as it is
generated (``partial``), which is never stored: the stored answer replaces it. A stream that
misses a wake-up (a row written by another process, the console's agent reply) still finds the
row at its next look, a few seconds later.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

QUEUE_SIZE = 64


@dataclass(frozen=True, slots=True)
class Wake:
    """Something for one chat: new stored rows (``partial`` None) or an answer's text so far."""

    partial: str | None = None
    item: int = 0  # the update the partial answer belongs to


class LiveStreams:
    """The queues of the open streams, by chat id."""

    def __init__(self) -> None:
        self._queues: dict[int, set[asyncio.Queue[Wake]]] = {}

    def listen(self, chat_id: int) -> asyncio.Queue[Wake]:
        queue: asyncio.Queue[Wake] = asyncio.Queue(QUEUE_SIZE)
        self._queues.setdefault(chat_id, set()).add(queue)
        return queue

    def leave(self, chat_id: int, queue: asyncio.Queue[Wake]) -> None:
        queues = self._queues.get(chat_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[chat_id]

    def rows(self, chat_id: int) -> None:
        """Rows were stored for ``chat_id``: its streams look."""
        self._put(chat_id, Wake())

    def partial(self, chat_id: int, item: int, text: str) -> None:
        """The answer to update ``item`` so far (a slow stream skips to the latest)."""
        self._put(chat_id, Wake(text, item))

    def open_for(self, chat_id: int) -> int:
        """How many streams the chat has open (one per tab)."""
        return len(self._queues.get(chat_id, ()))

    def listening(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def _put(self, chat_id: int, wake: Wake) -> None:
        for queue in self._queues.get(chat_id, ()):
            if queue.full():  # a reader that stalls: keep the newest, the rows are stored
                queue.get_nowait()
            queue.put_nowait(wake)
