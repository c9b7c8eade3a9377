"""Serving the console with uvicorn inside an existing event loop (``supportbot console``, or
beside the bot on its own loop in ``supportbot run``, where the bot owns SIGINT and SIGTERM)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator

import uvicorn

from bot.channels.web.app import create_app
from bot.channels.web.quality_pages import DAY_CHOICES as QUALITY_DAYS
from bot.channels.web.services import ConsoleServices

log = logging.getLogger(__name__)


class _GuestServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the bot beside it owns SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def build_server(console: ConsoleServices, *, guest: bool = False) -> uvicorn.Server:
    """A uvicorn server for the console on SUPPORTBOT_CONSOLE_LISTEN:PORT (``guest``: in the
    bot's process, leaving signals to it)."""
    settings = console.settings
    config = uvicorn.Config(
        create_app(console),
        host=settings.console_listen,
        port=settings.console_port or 8080,
        log_level="warning",
        access_log=False,  # login links carry a token in their path
        lifespan="off",
        server_header=False,
    )
    return _GuestServer(config) if guest else uvicorn.Server(config)


async def serve(console: ConsoleServices, stop: threading.Event | None = None) -> None:
    """Serve until the server is told to exit: signals when it is alone, ``stop`` set when it
    is the bot's guest (then it leaves signals to the bot)."""
    server = build_server(console, guest=stop is not None)
    if stop is not None:
        watcher = threading.Thread(target=_exit_when_set, args=(stop, server), daemon=True)
        watcher.start()
    log.info("admin console on http://%s:%s", console.settings.console_listen, server.config.port)
    warm = asyncio.create_task(_warm_quality(console))
    try:
        await server.serve()
    finally:
        warm.cancel()


def _exit_when_set(stop: threading.Event, server: uvicorn.Server) -> None:
    stop.wait()
    server.should_exit = True


async def _warm_quality(console: ConsoleServices) -> None:
    """Compute the closed days' chart figures once in the background, so the first visit to
    /quality does not pay for months of messages."""
    try:
        await console.queries.quality(max(QUALITY_DAYS), [])
    except Exception:  # a warm-up is an optimisation: the page computes what is missing
        log.exception("could not pre-compute the quality charts")
