"""Process-wide counters for the few figures that exist only in the moment they happen.

Most of ``/metrics`` is read at scrape time from where figures already live (the database,
the engine). Three cannot be: a Bot API call that failed (nothing stores it), how long one
retrieval took (the stored reply latency includes everything else) and how long a reply Telegram
has was not yet marked sent (the repeat window of ``docs/telegram.md``). For these, whoever sees
the event calls one function, the way it would call ``logging``: ``bot_api_error(403)``,
``retrieval_took(0.004)``. This module imports nothing of supportbot, so any layer may use it.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import Metric

REGISTRY = CollectorRegistry(auto_describe=True)
BOT_API_ERRORS = Counter(
    "supportbot_bot_api_errors",
    "Failed Bot API calls, by error code (HTTP status, or network / timeout).",
    ["code"],
    registry=REGISTRY,
)
RETRIEVAL_SECONDS = Histogram(
    "supportbot_retrieval_seconds",
    "Time one FAQ retrieval took.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
    registry=REGISTRY,
)
SENT_MARK_SECONDS = Histogram(
    "supportbot_sent_mark_seconds",
    "From Telegram accepting a reply to the outbox saying so: the one window in which a crash "
    "repeats a reply.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
    registry=REGISTRY,
)


def bot_api_error(code: int | str) -> None:
    """Count one failed Bot API call (``code``: 400, 403, 429, 502, "network", "timeout")."""
    BOT_API_ERRORS.labels(str(code)).inc()


def retrieval_took(seconds: float) -> None:
    """Record how long one retrieval took."""
    RETRIEVAL_SECONDS.observe(seconds)


def sent_mark_took(seconds: float) -> None:
    """Record how long one reply was sent but not yet marked sent."""
    SENT_MARK_SECONDS.observe(seconds)


def metrics() -> Iterator[Metric]:
    """The families above, for ``/metrics``."""
    yield from REGISTRY.collect()
