"""Migrations on a real SQLite file: up, down, up again, and models agree with migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrations
from storage.db import make_engine
from storage.models import Base

EXPECTED_TABLES = {
    "users",
    "sessions",
    "messages",
    "faq_entries",
    "faq_revisions",
    "prompt_templates",
    "prompt_revisions",
    "feedback",
    "console_logins",
    "channel_state",
    "inbox_items",
    "outbox_items",
    "answer_choices",
    "leases",
    "job_runs",
    "sources",
    "documents",
    "passages",
}
# The full-text index of message texts (migration 0009), which the models do not describe:
# on SQLite an FTS5 table and its own tables, on PostgreSQL an expression index.
FULL_TEXT_INDEX = ("messages_fts", "ix_messages_text_search")


def _is_full_text_index(name: str | None) -> bool:
    return bool(name) and str(name).startswith(FULL_TEXT_INDEX)


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return {name for name in names if not _is_full_text_index(name)} - {"alembic_version"}


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert await migrations.current_revision(engine) is None
        await migrations.upgrade(engine)
        assert await table_names(engine) == EXPECTED_TABLES
        assert await migrations.current_revision(engine) == migrations.head_revision()

        await migrations.downgrade(engine, "base")
        assert await table_names(engine) == set()
        assert await migrations.current_revision(engine) is None

        await migrations.upgrade(engine)
        assert await table_names(engine) == EXPECTED_TABLES
    finally:
        await engine.dispose()


async def test_models_and_migrations_agree(db_engine: AsyncEngine) -> None:
    def diff(sync_connection: object) -> list[object]:
        context = MigrationContext.configure(
            sync_connection,  # type: ignore[arg-type]
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_name": lambda name, _kind, _parent: not _is_full_text_index(name),
            },
        )
        return compare_metadata(context, Base.metadata)

    async with db_engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_sqlite_pragmas(db_engine: AsyncEngine) -> None:
    if db_engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    async with db_engine.connect() as connection:
        journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        busy = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert (journal, foreign_keys) == ("wal", 1)
    assert busy >= 1000
