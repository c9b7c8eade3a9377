"""Rate limits of the web chat: a token bucket per visitor and per address, in memory.

A bucket holds ``burst`` requests and refills at ``per_minute``; a request that finds it empty
is refused with 429 and a ``Retry-After``. Buckets untouched for a while are dropped so that a
stream of new visitors cannot grow memory without bound. (One process: a fleet behind a load
balancer limits per instance.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_BUCKETS = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """``allow(key)`` at most ``burst`` times at once and ``per_minute`` on average."""

    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, key: str) -> float:
        """0.0 when allowed (and counted), else the seconds until it would be."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._drop_full(now)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def _drop_full(self, now: float) -> None:
        """Forget buckets that have refilled (they hold nothing a new one would not)."""
        full = [
            k for k, b in self._buckets.items() if b.tokens + (now - b.at) * self.rate >= self.burst
        ]
        for key in full or list(self._buckets)[: MAX_BUCKETS // 10]:
            del self._buckets[key]
