"""The claim loop every channel's inbox worker runs: due chat heads into free slots, one task each.

Telegram's inbox worker and the web chat's worker differ in what they do with an item (PTB's
handlers and the outbox's Telegram sends, or a web action whose events the browser fetches),
not in how items are taken: claim up to the free slots (``DeliveryService.claim``: never two
items of one chat at once, across instances too), run each in a task of its own, renew the
leases of the running ones every third of a lease, sleep until woken or the poll interval,
and on stop give the answers in progress a grace period before handing them back. That loop
lives here once, with the hand-back rules both share (``guarded``): a cancelled item goes back
unhandled at once, a failed one after a back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.delivery.service import DeliveryService, InboxEntry

log = logging.getLogger(__name__)


def backoff_seconds(attempts: int) -> float:
    """Wait before the next try of an item that failed ``attempts`` times (1 s … 60 s)."""
    return float(min(2 ** min(attempts, 6), 60))


class ClaimLoop:
    """Claims due inbox items and runs ``handle`` on each in its own task until stopped."""

    def __init__(
        self,
        delivery: DeliveryService,
        handle: Callable[[InboxEntry], Awaitable[None]],
        *,
        slots: int,
        lease: timedelta,
        name: str,
        poll_interval: float = 1.0,
    ) -> None:
        self.delivery = delivery
        self.slots = slots
        self.lease = lease
        self.poll_interval = poll_interval
        self._handle = handle
        self._name = name  # "inbox" or "web": task names and log lines
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: dict[asyncio.Task[None], InboxEntry] = {}

    def notify(self) -> None:
        """Something was stored (or finished): look for due items now."""
        self._wake.set()

    @property
    def busy(self) -> int:
        """Items being handled now."""
        return len(self._tasks)

    async def run(self) -> None:
        """Dispatch until ``stop``: claim due items into free slots, renew leases."""
        renewed = time.monotonic()
        while not self._stopping:
            self._wake.clear()
            free = self.slots - len(self._tasks)
            claimed: list[InboxEntry] = []
            if free > 0:
                try:
                    claimed = await self.delivery.claim(free, lease=self.lease)
                except Exception:
                    log.exception("claiming %s items failed", self._name)
            for entry in claimed:
                task = asyncio.create_task(self._handle(entry), name=f"{self._name}-{entry.id}")
                self._tasks[task] = entry
                task.add_done_callback(self._finished)
            if time.monotonic() - renewed > self.lease.total_seconds() / 3:
                renewed = time.monotonic()
                await self._renew()
            if claimed and len(claimed) == free:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def stop(
        self, grace: float, before_cancel: Callable[[InboxEntry], None] | None = None
    ) -> int:
        """Stop claiming; answers in progress get ``grace`` seconds, then are cancelled (their
        ``guarded`` hands them back). Returns how many were cancelled."""
        self._stopping = True
        self._wake.set()
        late: set[asyncio.Task[None]] = set()
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in late:
            if before_cancel is not None:
                before_cancel(self._tasks[task])
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        return len(late)

    async def guarded(self, entry: InboxEntry, body: Callable[[], Awaitable[None]]) -> None:
        """Run ``body`` for ``entry``; cancelled: hand it back now; failed: after a back-off."""
        try:
            await body()
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.delivery.release(entry, handled=False))
            raise
        except Exception:
            log.exception("%s item %s failed; trying again later", self._name, entry.id)
            with contextlib.suppress(Exception):
                delay = backoff_seconds(entry.attempts)
                await self.delivery.release(entry, handled=False, delay=delay)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._wake.set()

    async def _renew(self) -> None:
        for entry in list(self._tasks.values()):
            with contextlib.suppress(Exception):
                await self.delivery.renew(entry, self.lease)
