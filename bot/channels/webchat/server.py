"""Serving the web chat inside a running bot: its services, worker and uvicorn on one loop.

``serving_webchat(app, settings)`` builds the web chat over the app's services (its own
``DeliveryService`` and ``HandoffService`` for channel ``web``), hands back what an earlier run
of this instance had claimed, and serves ``SUPPORTBOT_WIDGET_LISTEN:PORT`` on the current event
loop until the block ends: beside Telegram in the same process (``supportbot run`` with both
configured) or alone. The uvicorn server leaves signals to its host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import uvicorn

from bot.channels.webchat.actions import CHANNEL, WebActions
from bot.channels.webchat.app import WebChat, create_app
from bot.channels.webchat.desk import AgentDesk
from bot.channels.webchat.identity import Identities
from bot.channels.webchat.limits import RateLimit
from bot.channels.webchat.live import LiveStreams
from bot.channels.webchat.watch import OutboxWatch
from bot.channels.webchat.worker import WebWorker
from bot.config import Settings
from bot.conversation import HandoffService
from bot.delivery import DeliveryService

log = logging.getLogger(__name__)
MESSAGES_PER_ADDRESS = 120  # per minute: a shop's office behind one address has many visitors
NEW_VISITORS_PER_ADDRESS = 30


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the bot (or PTB) owns SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def build_webchat(
    app: Any, settings: Settings, *, holder: str | None = None, desk: AgentDesk | None = None
) -> WebChat:
    """The web chat over an opened ``bot.app.App`` (``desk``: the agents' Telegram group)."""
    delivery = DeliveryService(
        app.session_factory,
        channel=CHANNEL,
        holder=holder or settings.instance_name or f"{socket.gethostname()}:{os.getpid()}",
    )
    live = LiveStreams()
    handoff = HandoffService(app.session_factory, channel=CHANNEL, session_ttl=settings.session_ttl)
    actions = WebActions(app.conversation, handoff, delivery, app.texts, live, desk)
    worker = WebWorker(
        delivery,
        actions,
        live,
        slots=settings.delivery_workers,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
    )
    return WebChat(
        delivery=delivery,
        identities=Identities.from_settings(settings),
        live=live,
        worker=worker,
        actions=actions,
        allowed_origins=tuple(settings.widget_origins),
        per_visitor=RateLimit(settings.rate_limit_per_minute, burst=10),
        per_address=RateLimit(MESSAGES_PER_ADDRESS, burst=60),
        new_visitors=RateLimit(NEW_VISITORS_PER_ADDRESS, burst=20),
    )


@asynccontextmanager
async def serving_webchat(
    app: Any, settings: Settings, *, port: int | None = None, desk: AgentDesk | None = None
) -> AsyncIterator[tuple[WebChat, int]]:
    """Serve the web chat until the block ends; yields it and the port it listens on."""
    chat = build_webchat(app, settings, desk=desk)
    if not settings.widget_origins:
        log.warning("SUPPORTBOT_WIDGET_ORIGINS is empty: no shop page may use the web chat")
    released = await chat.delivery.release_own()
    if released:
        log.info("web chat: %d items an earlier run had claimed are due again", released)
    config = uvicorn.Config(
        create_app(chat),
        host=settings.widget_listen,
        port=settings.widget_port if port is None else port,
        log_level="warning",
        access_log=False,  # the event stream's URL carries the visitor token
        lifespan="off",
        server_header=False,
        proxy_headers=True,  # behind the shop's proxy on 127.0.0.1, the visitor's own address
    )
    server = _QuietServer(config)
    worker = asyncio.create_task(chat.worker.run(), name="web-chat-worker")
    watch = asyncio.create_task(OutboxWatch(chat.delivery, chat.live).run(), name="web-watch")
    serving = asyncio.create_task(server.serve(), name="web-chat-server")
    try:
        while not server.started:
            if serving.done():
                serving.result()
                raise RuntimeError("the web chat server stopped at start")
            await asyncio.sleep(0.02)
        bound = server.servers[0].sockets[0].getsockname()[1]
        log.info("web chat on http://%s:%s/widget.js", settings.widget_listen, bound)
        yield chat, bound
    finally:
        server.should_exit = True
        await chat.worker.stop(settings.shutdown_grace_seconds)
        worker.cancel()
        watch.cancel()
        await asyncio.gather(worker, watch, serving, return_exceptions=True)
