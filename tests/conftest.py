"""Fixtures shared by every test package: real SQLite files, migrated with the real alembic."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from storage import migrations
from storage.db import make_engine, make_session_factory

TEST_DATABASE_URL = "TEST_DATABASE_URL"  # e.g. postgresql+asyncpg://user:pw@127.0.0.1/db


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A SQLite file in the test's own folder, or, when ``TEST_DATABASE_URL`` names another
    database (PostgreSQL), that database emptied for this test."""
    external = os.environ.get(TEST_DATABASE_URL)
    if external:
        asyncio.run(_drop_everything(external))
        return external
    return f"sqlite+aiosqlite:///{tmp_path / 'supportbot.db'}"


async def _drop_everything(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrations.drop_everything(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings isolated from the developer's environment and .env file."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        model_cache_dir=tmp_path / "models",
    )


@pytest.fixture
async def db_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a freshly migrated SQLite file."""
    engine = make_engine(database_url)
    await migrations.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the migrated test database."""
    return make_session_factory(db_engine)


@pytest.fixture(autouse=True)
def _no_supportbot_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's SUPPORTBOT_* variables out of every test."""
    for name in list(os.environ):
        if name.startswith("SUPPORTBOT_"):
            monkeypatch.delenv(name)
