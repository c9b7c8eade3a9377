"""Running the bot: long polling by default, a webhook server behind a load balancer.

``run`` is what ``supportbot run`` calls; PTB's ``run_polling`` / ``run_webhook`` install the
SIGINT/SIGTERM handlers and stop cleanly (updates in progress finish: see ``Application.stop``).
``serving`` does the same steps inside an existing event loop, for tests and embedding.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.channels.telegram.application import ServicesOpener, build_application
from bot.channels.telegram.services import Tuning
from bot.config import Settings, UsageError, UserFacingError

log = logging.getLogger(__name__)
STARTUP_RETRIES = 3  # a network blip at start is retried; a wrong URL or token fails fast
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


def default_opener(settings: Settings) -> ServicesOpener:
    """Open every service of the composition root, maintenance scheduler included."""
    from bot.app import open_app

    return lambda: open_app(settings, start_scheduler=True)


def webhook_path(settings: Settings) -> str:
    """The local path the webhook server listens on: the path of the public URL."""
    return urlparse(settings.webhook_url or "").path.strip("/")


class _OneLineRetryErrors(logging.Filter):
    """PTB logs each failed start-up attempt with a traceback; we report the cause in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Network Retry Loop"):
            record.exc_info = None
            record.exc_text = None
        return True


def run(settings: Settings, services: ServicesOpener | None = None) -> None:
    """Run until SIGINT/SIGTERM: webhook mode when ``SUPPORTBOT_WEBHOOK_URL`` is set."""
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("telegram.ext").addFilter(_OneLineRetryErrors())
    application = build_application(settings, services or default_opener(settings))
    try:
        serve_forever(application, settings)
    except InvalidToken:
        raise UsageError("SUPPORTBOT_TELEGRAM_TOKEN: Telegram rejected the bot token") from None
    except NetworkError as exc:
        raise UserFacingError(
            f"cannot reach the Bot API at {settings.telegram_base_url} ({exc.message}); "
            "check the network or SUPPORTBOT_TELEGRAM_BASE_URL"
        ) from None


def serve_forever(application: Application, settings: Settings) -> None:
    """PTB's own loop: webhook server or long polling, until SIGINT/SIGTERM."""
    if settings.webhook_url:
        # Settings refuse a webhook URL without a secret, so every request is checked.
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=webhook_path(settings),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=STARTUP_RETRIES,
        )
    else:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=STARTUP_RETRIES)


@asynccontextmanager
async def serving(
    settings: Settings,
    services: ServicesOpener,
    *,
    tuning: Tuning | None = None,
    webhook: bool = False,
    poll_timeout: int = 1,
) -> AsyncIterator[Application]:
    """The bot running in this event loop (the same steps as ``run_polling``/``run_webhook``)."""
    application = build_application(settings, services, tuning=tuning)
    await application.initialize()
    try:
        assert application.post_init is not None
        await application.post_init(application)
        assert application.updater is not None
        if webhook:
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            await application.updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=webhook_path(settings),
                webhook_url=settings.webhook_url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await application.updater.start_polling(
                poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
        await application.start()
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
    finally:
        await application.shutdown()
        assert application.post_shutdown is not None
        await application.post_shutdown(application)
