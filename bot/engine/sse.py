"""Server-sent events: the ``data:`` payloads of an event stream, one per event.

Implements the parts of the WHATWG event-stream format OpenAI-compatible servers use: events
end at a blank line, ``data:`` lines of one event are joined with newlines, comment lines
(starting with ``:``) and other fields (``event:``, ``id:``, ``retry:``) are skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


async def iter_sse_data(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """Yield the data of each event in ``lines`` (already split, line endings removed)."""
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value.removeprefix(" "))
    if data:
        yield "\n".join(data)
