"""Start and stop of the running bot: intake, inbox worker and PTB's application, in order.

Start: ``initialize`` (``getMe``, retried a few times), ``post_init`` (services opened), this
instance's stale claims released and old done items purged, PTB's application started (job
queue), then the inbox worker (which answers what an earlier run left) and the intake (long
polling, or the webhook endpoint after ``setWebhook``).

Stop (SIGTERM/SIGINT): the intake first (no new updates are fetched; the last stored batch is
confirmed), then the worker gets ``shutdown_grace_seconds`` to finish answers in progress and
hands the rest back to the inbox, then PTB's application and the services are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.channels.telegram.inbox_worker import InboxWorker
from bot.channels.telegram.intake import WebhookServer, poll_updates
from bot.channels.telegram.send_lane import SendLane
from bot.channels.telegram.services import TelegramServices, services_of_application
from bot.config import Settings
from bot.delivery import REDELIVERY_HORIZON

log = logging.getLogger(__name__)
STARTUP_RETRIES = 3  # a network blip at start is retried; a wrong URL or token fails fast
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


async def initialize(application: Application, retries: int = STARTUP_RETRIES) -> None:
    """PTB's ``initialize`` (it calls ``getMe``), retried on network errors."""
    for attempt in range(retries + 1):
        try:
            await application.initialize()
            return
        except InvalidToken:
            raise
        except NetworkError as exc:
            if attempt == retries:
                raise
            log.warning("Bot API not reachable (%s); retrying", exc.message)
            await asyncio.sleep(min(2**attempt, 5))


async def restore_state(application: Application, services: TelegramServices) -> None:
    """What the last run kept: admin dialogues, offered buttons, flood counters."""
    try:
        kept = await services.kept.load()
    except Exception:  # a database migrated before channel_state existed: start without
        log.exception("could not read the kept channel state; starting without it")
        return
    application.bot_data.flows.restore(kept.get("flows") or [])
    application.bot_data.unanswered.update(kept.get("unanswered") or {})
    services.flood.restore(kept.get("flood") or {})


class BotRuntime:
    """One running bot; ``start`` then ``stop`` (see the module docstring)."""

    def __init__(
        self, application: Application, settings: Settings, *, webhook: bool, poll_timeout: int
    ) -> None:
        self.application = application
        self.settings = settings
        self.webhook = webhook
        self.poll_timeout = poll_timeout
        self.worker: InboxWorker | None = None
        self.lane: SendLane | None = None
        self._stop_intake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._server: WebhookServer | None = None
        self._initialized = False
        self.failed: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    def _watch(self, task: asyncio.Task[None]) -> None:
        """Keep ``task``; if it dies of an error (a revoked token), the bot must stop."""
        self._tasks.append(task)

        def ended(done: asyncio.Task[None]) -> None:
            if not done.cancelled() and done.exception() is not None and not self.failed.done():
                self.failed.set_result(done.exception())  # type: ignore[arg-type]

        task.add_done_callback(ended)

    async def start(self) -> None:
        application = self.application
        await initialize(application)
        self._initialized = True
        assert application.post_init is not None
        await application.post_init(application)
        services = services_of_application(application)
        delivery = services.delivery
        released = await delivery.release_own()
        purged = await delivery.purge(REDELIVERY_HORIZON)
        await restore_state(application, services)
        waiting = await delivery.open_count()
        log.info("inbox: %d waiting (%d taken back), %d old purged", waiting, released, purged)
        await application.start()
        self.lane = SendLane(application.bot, self.settings.database_url)
        await self.lane.start()
        self.worker = InboxWorker(application, services, delivery, self.lane)
        self._watch(asyncio.create_task(self.worker.run(), name="inbox-dispatcher"))
        if self.webhook:
            await self._start_webhook(delivery)
        else:
            await application.bot.delete_webhook()
            poll = poll_updates(
                application.bot,
                delivery,
                stop=self._stop_intake,
                on_stored=self.worker.notify,
                allowed_updates=ALLOWED_UPDATES,
                poll_seconds=self.poll_timeout,
            )
            self._watch(asyncio.create_task(poll, name="inbox-intake"))

    async def _start_webhook(self, delivery: object) -> None:
        settings, worker = self.settings, self.worker
        assert worker is not None
        from bot.channels.telegram.runner import webhook_path

        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        self._server = WebhookServer(
            self.application.bot,
            services_of_application(self.application).delivery,
            path=webhook_path(settings),
            secret=secret,
            on_stored=worker.notify,
        )
        self._server.start(settings.webhook_listen, settings.webhook_port)
        await self.application.bot.set_webhook(
            settings.webhook_url or "", secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )

    async def stop(self) -> None:
        """Stop fetching, let answers finish within the grace period, close everything."""
        self._stop_intake.set()
        if self._server is not None:
            await self._server.stop()
        intake = self._tasks[1:]
        if intake:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*intake, return_exceptions=True), 3)
            for task in intake:
                task.cancel()
        if self.worker is not None:
            await self.worker.stop(self.settings.shutdown_grace_seconds)
        if self.lane is not None:
            await self.lane.close()  # the last sent-marks written
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        application = self.application
        if application.running:
            await application.stop()
        if self._initialized:
            await application.shutdown()
            assert application.post_shutdown is not None
            await application.post_shutdown(application)
