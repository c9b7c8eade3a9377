"""Opening the configured database for the bot and the CLI: engine, migrations, sessions.

Both ``run``/``chat`` and the admin CLI go through ``open_database`` so that every entry point
brings the schema to head first and reports a broken database URL the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.errors import UsageError, UserFacingError
from storage import migrations
from storage.db import StorageError, make_engine, make_session_factory


def open_engine(settings: Settings) -> AsyncEngine:
    """The configured engine, or a usage error naming the setting."""
    try:
        return make_engine(settings.database_url)
    except StorageError as exc:
        raise UsageError(f"SUPPORTBOT_DATABASE_URL: {exc}") from None
    except (ImportError, SQLAlchemyError) as exc:
        raise UsageError(f"SUPPORTBOT_DATABASE_URL: cannot open database: {exc}") from None


@asynccontextmanager
async def open_database(
    settings: Settings, *, migrate: bool = True
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on the configured database, upgraded to the newest schema."""
    engine = open_engine(settings)
    try:
        if migrate:
            try:
                await migrations.upgrade(engine)
            except SQLAlchemyError as exc:
                raise UserFacingError(f"cannot migrate the database: {exc}") from None
        yield make_session_factory(engine)
    finally:
        await engine.dispose()
