"""``KeptState``: a channel's small in-memory state, written to the database when it changes.

Admin dialogues in progress, the buttons an admin was offered and the flood counters live in
the channel's memory for speed; a restart must not lose them. The channel hands ``save`` a
snapshot (JSON-able values by key) after each handled update; only keys whose value changed
are written, and ``load`` gives the last snapshot back at start.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import utcnow
from storage.repositories import channel_state


class KeptState:
    """Keys of one channel's state, each a JSON value."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        channel: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session_factory, self.channel, self.clock = session_factory, channel, clock
        self._written: dict[str, str] = {}
        self._saving = asyncio.Lock()

    async def load(self) -> dict[str, Any]:
        async with self.session_factory() as s:
            values = await channel_state.load(session=s, channel=self.channel)
        self._written = {key: json.dumps(value, sort_keys=True) for key, value in values.items()}
        return values

    async def save(self, snapshot: dict[str, Any]) -> int:
        """Write the keys whose value changed since the last save; how many.

        Saves are taken one at a time (every inbox item's task saves when it ends, and two
        inserting the same new key at once made one fail on the primary key); a key another
        instance inserted meanwhile is written again as an update."""
        async with self._saving:
            changed = {}
            for key, value in snapshot.items():
                text = json.dumps(value, sort_keys=True)
                if self._written.get(key) != text:
                    changed[key] = (value, text)
            if not changed:
                return 0
            try:
                await self._put(changed)
            except IntegrityError:
                await self._put(changed)
            self._written.update({key: text for key, (_, text) in changed.items()})
            return len(changed)

    async def _put(self, changed: dict[str, tuple[Any, str]]) -> None:
        async with self.session_factory() as s, s.begin():
            for key, (value, _) in changed.items():
                await channel_state.put(
                    session=s, channel=self.channel, key=key, value=value, now=self.clock()
                )
