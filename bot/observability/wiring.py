"""``observed``: the services of ``supportbot run`` with the health and metrics server beside.

It wraps the services opener the Telegram channel is given, so the server starts inside the
bot's own event loop once every service is open (the engine loaded, the database migrated) and
stops before they close. In long polling mode it also holds the database's single polling slot
(``bot.scheduler.PollerLease``), so a second poller is refused with one line. Routes read the
live ``App``: ``/healthz`` only says the process answers, ``/readyz`` runs the readiness
checks, ``/metrics`` reads a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.observability.health import as_json, readiness
from bot.observability.metrics import render
from bot.observability.readings import OperationsReader
from bot.observability.server import OperationsServer, Response, Route
from bot.scheduler import PollerLease, instance_name

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
Opener = Callable[[], AbstractAsyncContextManager[Any]]


def routes_for(app: App, instance: str) -> dict[str, Route]:
    """The three routes over one running ``App``."""
    reader = OperationsReader(app.session_factory, app.engine)

    async def healthz() -> Response:
        return Response(200, b"ok\n")

    async def readyz() -> Response:
        body = as_json(await readiness(app.settings, app.db_engine, app.engine))
        return Response.json(200 if body["ready"] else 503, body)

    async def metrics() -> Response:
        body, content_type = render(await reader.snapshot(), instance)
        return Response(200, body, content_type)

    return {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


@asynccontextmanager
async def serving_operations(app: App) -> AsyncIterator[OperationsServer | None]:
    """The health and metrics server for ``app`` while the block runs (None: no port set)."""
    settings = app.settings
    if settings.metrics_port is None:
        yield None
        return
    server = OperationsServer(
        routes_for(app, instance_name(settings.instance_name)),
        settings.metrics_listen,
        settings.metrics_port,
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def single_poller(app: App) -> AsyncIterator[None]:
    """Hold the database's long-polling slot while the block runs (refused if taken)."""
    lease = PollerLease(app.session_factory, instance_name(app.settings.instance_name))
    await lease.take()
    heartbeat = asyncio.create_task(lease.heartbeat(), name="poller-lease-heartbeat")
    try:
        yield
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        try:
            await lease.release()
        except Exception:  # the lease expires by itself; say so and go on closing
            log.warning("could not release the long-polling lease; it expires on its own")


def observed(opener: Opener, settings: Settings) -> Opener:
    """``opener`` whose services come with the health and metrics server, and, in long
    polling mode, the single-poller lease."""

    @asynccontextmanager
    async def open_observed() -> AsyncIterator[Any]:
        async with AsyncExitStack() as stack:
            app = await stack.enter_async_context(opener())
            if not settings.webhook_url:
                await stack.enter_async_context(single_poller(app))
            await stack.enter_async_context(serving_operations(app))
            yield app

    return open_observed
