"""The outbox's (chat_id, id) index (migration 0007) serves a chat's rows above an id."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import OutboxItem


async def test_a_chats_rows_after_an_id_use_the_index(db_engine: AsyncEngine) -> None:
    if db_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan (PostgreSQL plans by table statistics)")
    query = (
        select(OutboxItem.id)
        .where(OutboxItem.chat_id == 7, OutboxItem.id > 10)
        .order_by(OutboxItem.id)
    )
    sql = str(query.compile(db_engine, compile_kwargs={"literal_binds": True}))
    async with db_engine.connect() as connection:
        plan = " ".join(
            str(row[-1]) for row in await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        )
    assert "ix_outbox_items_chat_id_id" in plan, plan
