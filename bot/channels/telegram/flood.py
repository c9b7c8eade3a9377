"""Flood control: a user sending more than N messages a minute is not sent to the model.

``FloodControl`` counts each user's messages in a sliding one-minute window (by Telegram's send
time). The ``limit_flood`` handler in ``flood_guard`` applies it to every update before any
other handler.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

WINDOW_SECONDS = 60.0


class FloodControl:
    """Counts each user's messages in the last minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def allow(self, user_id: int, at: float | None = None) -> bool:
        """Count one message sent at ``at`` (default: now); False when over the limit."""
        now = self.clock() if at is None else at
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] >= WINDOW_SECONDS:
            seen.popleft()
        seen.append(now)
        if len(seen) <= self.per_minute:
            self._warned.discard(user_id)
            return True
        return False

    def should_warn(self, user_id: int) -> bool:
        """True once per flood: the first message over the limit gets the notice."""
        if user_id in self._warned:
            return False
        self._warned.add(user_id)
        return True

    def snapshot(self, now: float) -> dict[str, Any]:
        """The counts of the last minute (Telegram send times), kept across restarts."""
        seen = {
            str(user): [round(t, 3) for t in times if now - t < WINDOW_SECONDS]
            for user, times in self._seen.items()
        }
        return {"seen": {u: t for u, t in seen.items() if t}, "warned": sorted(self._warned)}

    def restore(self, saved: dict[str, Any]) -> None:
        for user, times in saved.get("seen", {}).items():
            self._seen[int(user)] = deque(float(t) for t in times)
        self._warned.update(int(u) for u in saved.get("warned", []))

    def forget(self, user_id: int) -> None:
        self._seen.pop(user_id, None)
        self._warned.discard(user_id)
