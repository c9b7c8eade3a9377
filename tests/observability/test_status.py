"""``supportbot status`` on a real SQLite file, text and JSON, with and without a live instance."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import open_app
from bot.cli import main
from bot.config import Settings
from bot.engine.fake import FakeEngine
from bot.observability.wiring import serving_operations
from storage.migrations import head_revision

INTERVAL = timedelta(minutes=10)


def use_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path) -> None:
    """What ``main`` reads: the test database, no encoder, the metrics port."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPPORTBOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SUPPORTBOT_EMBEDDING_MODEL", "none")
    if settings.metrics_port is not None:
        monkeypatch.setenv("SUPPORTBOT_METRICS_PORT", str(settings.metrics_port))


async def prepared(settings: Settings) -> None:
    """A first start (demo FAQ imported) and one run of each of two maintenance jobs."""
    async with open_app(settings, engine=FakeEngine()) as app:
        assert await app.jobs.once_per_interval(
            "end_idle_sessions", INTERVAL, app.jobs.end_idle_sessions
        )
        assert await app.jobs.once_per_interval("optimize", INTERVAL, app.jobs.optimize)


def test_status_json_reports_every_section(
    ops_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(prepared(ops_settings))
    use_environment(monkeypatch, ops_settings, tmp_path)

    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (
        report["database"]["at_head"] is True and report["database"]["revision"] == head_revision()
    )
    assert report["faq"]["en"]["enabled"] >= 20
    assert [job["job"] for job in report["jobs"]] == ["end_idle_sessions", "optimize"]
    assert all(job["ok"] is True and job["runs"] == 1 for job in report["jobs"])
    assert report["jobs"][0]["holder"] == "test-1" and report["open_handoffs"] == 0
    assert report["engine"]["model"] == "smollm2-135m"
    assert report["engine"]["instance"].startswith("no running instance answered")
    assert (report["inbox_backlog"], report["outbox_pending"]) == (0, 0)


async def test_status_asks_the_running_instance_for_its_engine(
    ops_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_environment(monkeypatch, ops_settings, tmp_path)
    async with open_app(ops_settings, engine=FakeEngine()) as app, serving_operations(app):
        status = await asyncio.to_thread(main, ["status"])
    text = capsys.readouterr().out
    assert status == 0
    assert "running instance: ready" in text and "engine: fake engine fake loaded" in text
    assert f"revision: {head_revision()} (at head)" in text and "en: " in text
    assert "maintenance jobs: no runs recorded yet" in text


def test_status_without_a_database_says_so(
    ops_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not ops_settings.database_url.startswith("sqlite"):
        pytest.skip("a missing SQLite file")
    use_environment(monkeypatch, ops_settings, tmp_path)
    assert main(["status"]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not Path(ops_settings.database_url.split("///")[1]).exists()
