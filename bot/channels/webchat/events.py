"""One visitor's event stream (server-sent events) read from the outbox, resumable by id.

Each stored event is sent with its outbox row id as the SSE ``id``; one chat's rows are written
in id order (its items are handled one at a time), so "every row above the last id the browser
saw" is exactly what it misses after a reconnect: no gap and no repeat, also across a restart
of the server. An id the browser names on reconnect (``Last-Event-ID``) is confirmed: it holds
everything up to it. An answer's text while it is being generated goes out as ``partial``
events without an id (never stored: the stored answer that follows replaces it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.responses import StreamingResponse

from bot.delivery import OutboxEntry

if TYPE_CHECKING:
    from bot.channels.webchat.app import WebChat

PAGE = 100
RETRY_MS = 2000
STREAM_HEADERS = {"cache-control": "no-cache, no-store", "x-accel-buffering": "no"}


def sse(data: object, *, event_id: int | None = None, event: str | None = None) -> str:
    lines = [] if event_id is None else [f"id: {event_id}"]
    if event is not None:
        lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def stored_event(row: OutboxEntry) -> str:
    return sse({**row.body, "id": row.id}, event_id=row.id)


async def events_after(chat: WebChat, chat_id: int, after: int) -> AsyncIterator[str]:
    """The stream's text: stored events above ``after``, then new ones as they come."""
    queue = chat.live.listen(chat_id)  # before the first read: no wake-up can fall between
    last = after
    try:
        yield f"retry: {RETRY_MS}\n\n"
        if after:
            await chat.delivery.confirm(chat_id, after)
        while True:
            rows = await chat.delivery.stream_after(chat_id, last, PAGE)
            for row in rows:
                yield stored_event(row)
                last = row.id
            if len(rows) == PAGE:
                continue
            try:
                wake = await asyncio.wait_for(queue.get(), chat.stream_poll_seconds)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if wake.partial is not None:
                yield sse({"item": str(wake.item), "text": wake.partial}, event="partial")
    finally:
        chat.live.leave(chat_id, queue)


def event_stream(chat: WebChat, chat_id: int, after: int) -> StreamingResponse:
    return StreamingResponse(
        events_after(chat, chat_id, after), media_type="text/event-stream", headers=STREAM_HEADERS
    )
