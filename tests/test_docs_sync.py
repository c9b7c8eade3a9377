"""The scheduled help-centre sync: on the app's scheduler when SUPPORTBOT_DOCS_SYNC_HOURS is
set, run once per interval across instances and restarts, recorded like every fleet job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import open_app
from bot.config import Settings
from bot.docs_sync import DOCS_SYNC_JOB, when_due
from bot.engine.fake import FakeEngine
from storage.repositories import fleet
from tests.conversation.test_scheduler import Clock, instance

START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


async def test_due_once_per_interval_across_instances_and_restarts(
    session_factory: async_sessionmaker[AsyncSession], db_engine: AsyncEngine
) -> None:
    clock = Clock(START)
    day = timedelta(hours=24)
    ran: list[str] = []

    def job(name: str):
        async def sync() -> str:
            ran.append(name)
            return "added 0"

        return sync

    a, b = (instance(session_factory, db_engine, clock, n) for n in ("a:1", "b:1"))
    assert await when_due(a, DOCS_SYNC_JOB, day, job("a"))  # never ran: due at once
    clock.now += timedelta(hours=1)
    assert not await when_due(a, DOCS_SYNC_JOB, day, job("a"))  # its own lease is no licence
    assert not await when_due(b, DOCS_SYNC_JOB, day, job("b"))
    restarted = instance(session_factory, db_engine, clock, "a:2")
    assert not await when_due(restarted, DOCS_SYNC_JOB, day, job("a2"))
    clock.now = START + day
    assert await when_due(b, DOCS_SYNC_JOB, day, job("b"))
    assert not await when_due(restarted, DOCS_SYNC_JOB, day, job("a2"))
    assert ran == ["a", "b"]


async def test_the_app_schedules_the_sync_and_it_syncs(settings: Settings, tmp_path: Path) -> None:
    help_folder = tmp_path / "help"
    help_folder.mkdir()
    (help_folder / "reset.md").write_text("# Reset\n\nHold the power button for ten seconds.")
    lexical = settings.model_copy(update={"embedding_model": "none", "docs_sync_hours": 6})
    async with open_app(lexical, engine=FakeEngine(), import_demo=False) as app:
        await app.documents.add(str(help_folder))
    (help_folder / "wifi.md").write_text("# Wi-Fi\n\nOpen Settings, then Network, then Wi-Fi.")

    async with open_app(lexical, engine=FakeEngine(), start_scheduler=True) as app:
        assert app.scheduler is not None
        job = app.scheduler.get_job(DOCS_SYNC_JOB)
        assert job is not None and job.trigger.interval == timedelta(hours=1)
        await job.func()
        [source] = await app.documents.sources()
        assert source.articles == 2
        assert any("Network" in doc.answer for doc in app.catalog.index.documents())
        async with app.session_factory() as s:
            [run] = await fleet.runs_of(session=s, job=DOCS_SYNC_JOB)
        assert run.ok and run.result == "added 1, changed 0, unchanged 1, removed 0, failed 0"

    off = lexical.model_copy(update={"docs_sync_hours": 0})
    async with open_app(off, engine=FakeEngine(), start_scheduler=True) as app:
        assert app.scheduler is not None and app.scheduler.get_job(DOCS_SYNC_JOB) is None
