"""Running the bot: long polling by default, a webhook server behind a load balancer.

``run`` is what ``supportbot run`` calls: it starts a ``lifecycle.BotRuntime`` (durable intake,
inbox worker, PTB's application), and on SIGTERM/SIGINT stops it gracefully and returns (exit
status 0). ``serving`` does the same steps inside an existing event loop, for tests and
embedding. PTB's own ``run_polling``/``run_webhook`` are not used: they confirm updates to
Telegram before they are stored (see ``intake``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.channels.telegram.application import ServicesOpener, build_application
from bot.channels.telegram.lifecycle import ALLOWED_UPDATES, STARTUP_RETRIES, BotRuntime
from bot.channels.telegram.services import OtherChannels, Tuning
from bot.config import Settings, UsageError, UserFacingError

log = logging.getLogger(__name__)
__all__ = ["ALLOWED_UPDATES", "STARTUP_RETRIES", "run", "serving", "webhook_path"]


def default_opener(settings: Settings) -> ServicesOpener:
    """Open every service of the composition root, maintenance scheduler included."""
    from bot.app import open_app

    return lambda: open_app(settings, start_scheduler=True)


def webhook_path(settings: Settings) -> str:
    """The local path the webhook server listens on: the path of the public URL."""
    return urlparse(settings.webhook_url or "").path.strip("/")


def run(
    settings: Settings, services: ServicesOpener | None = None, others: OtherChannels | None = None
) -> None:
    """Run until SIGINT/SIGTERM: webhook mode when ``SUPPORTBOT_WEBHOOK_URL`` is set;
    ``others`` reaches other channels' customers (see ``build_application``)."""
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    application = build_application(settings, services or default_opener(settings), others=others)
    try:
        asyncio.run(serve_until_signal(application, settings))
    except InvalidToken:
        raise UsageError("SUPPORTBOT_TELEGRAM_TOKEN: Telegram rejected the bot token") from None
    except NetworkError as exc:
        raise UserFacingError(
            f"cannot reach the Bot API at {settings.telegram_base_url} ({exc.message}); "
            "check the network or SUPPORTBOT_TELEGRAM_BASE_URL"
        ) from None


async def serve_until_signal(application: Application, settings: Settings) -> None:
    """Start, wait for SIGTERM/SIGINT, stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runtime = BotRuntime(application, settings, webhook=bool(settings.webhook_url), poll_timeout=10)
    try:
        await runtime.start()
        log.info("running; SIGTERM or Ctrl-C stops")
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({stopping, runtime.failed}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if runtime.failed.done():
            raise runtime.failed.result()
        log.info(
            "stopping: no new updates; answers in progress get %ss", settings.shutdown_grace_seconds
        )
    finally:
        await runtime.stop()


@asynccontextmanager
async def serving(
    settings: Settings,
    services: ServicesOpener,
    *,
    tuning: Tuning | None = None,
    webhook: bool = False,
    poll_timeout: int = 1,
    others: OtherChannels | None = None,
) -> AsyncIterator[Application]:
    """The bot running in this event loop (the same steps as ``run``)."""
    application = build_application(settings, services, tuning=tuning, others=others)
    runtime = BotRuntime(application, settings, webhook=webhook, poll_timeout=poll_timeout)
    try:
        await runtime.start()
        application.bot_data.runtime = runtime
        yield application
    finally:
        await runtime.stop()
