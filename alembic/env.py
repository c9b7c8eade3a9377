"""Alembic environment: imports only the models' metadata.

supportbot hands a live connection in ``config.attributes["connection"]`` (see
``storage.migrations``); run from the ``alembic`` command line, the URL is the ``sqlalchemy.url``
option when given, else the bot's own ``Settings`` (``SUPPORTBOT_DATABASE_URL`` or its default),
so the two can never disagree. SQLite uses batch mode so that
ALTERs work.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Connection

from alembic import context
from bot.config import load_settings
from storage.db import make_engine
from storage.models import Base

target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or load_settings().database_url


async def _run_online() -> None:
    engine = make_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (connection := context.config.attributes.get("connection")) is not None:
    _configure(connection)
else:
    asyncio.run(_run_online())
