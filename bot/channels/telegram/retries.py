"""Which Bot API failures are worth another try, and the bounded retry loop around a call.

A 429 (its ``retry_after`` honoured), a 5xx, a timeout or a reset connection is tried again with
back-off for a bounded time, then ``StillFailing`` (the outbox keeps the reply pending); a 400
or 403 is raised at once. Each retried failure is one INFO line naming the chat and the wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.observability import events

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_BACKOFF = 5.0


class StillFailing(NetworkError):
    """Telegram kept failing for the whole retry time; the reply stays pending."""


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked to wait (an int today, a timedelta in PTB's next major)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


def is_transient(exc: BaseException) -> bool:
    """429, 5xx, timeouts and broken connections: worth another try. A 400 or 403 is not."""
    if isinstance(exc, RetryAfter):
        return True
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest | InvalidToken)


def error_code(exc: BaseException) -> int | str:
    """The code ``/metrics`` counts a failed Bot API call under."""
    if isinstance(exc, RetryAfter):
        return 429
    if isinstance(exc, BadRequest):
        return 400
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, TimedOut):
        return "timeout"
    return "network" if isinstance(exc, NetworkError) else "other"


async def with_retries(
    call: Callable[[], Awaitable[T]], *, within: float, chat_id: int | None = None
) -> T:
    """``call()`` again on transient errors, with back-off (``retry_after`` honoured), for at
    most ``within`` seconds; then ``StillFailing``. Permanent errors are raised at once.

    Each retried failure is one INFO line naming the chat and the wait, never a traceback: a
    429 or 5xx that is tried again is the outbox doing its job, not an error."""
    deadline = time.monotonic() + within
    backoff = 0.25
    while True:
        try:
            return await call()
        except Exception as exc:
            if isinstance(exc, TelegramError):
                events.bot_api_error(error_code(exc))
            if not is_transient(exc):
                raise
            pause = retry_seconds(exc) if isinstance(exc, RetryAfter) else backoff
            backoff = min(backoff * 2, MAX_BACKOFF)
            if time.monotonic() + pause > deadline:
                raise StillFailing(f"{type(exc).__name__}: {exc}") from exc
            log.info(
                "Telegram refused a call for chat %s (%s: %s); retrying in %.2fs",
                chat_id, error_code(exc), exc, pause,
            )  # fmt: skip
            await asyncio.sleep(pause)
