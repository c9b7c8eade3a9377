"""Which channel update the message being handled belongs to, for storing it once.

A channel that can hand the same update over again (a durable inbox replaying it after a crash)
names it with a key that stays the same in every replay. ``open_turn`` stores the customer's
message once per key and gives a replay the stored message (and reply) back. The key can be
passed explicitly (``ConversationService.handle(origin=...)``) or, when wrappers sit between the
channel and the service, set for the block that handles the update (``handling``): a context
variable, so it follows the task and the tasks it starts, like the channel's outbox scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CURRENT: ContextVar[str | None] = ContextVar("supportbot_message_origin", default=None)


@contextmanager
def handling(origin: str) -> Iterator[None]:
    """Messages stored inside this block belong to the update ``origin``."""
    token = _CURRENT.set(origin)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current(explicit: str | None = None) -> str | None:
    """``explicit`` when given, else the key of the update being handled (None: no key)."""
    return explicit if explicit is not None else _CURRENT.get()
