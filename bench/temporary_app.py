"""The whole app on a throwaway SQLite file, as the benchmarks open it.

Every bench that measures through the product opens ``open_app`` the same way: the configured
settings with the database moved to a file in a temporary folder (migrated like any other, and
removed afterwards), so a run never touches the bot's own database.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import App, open_app
from bot.config import Settings


@asynccontextmanager
async def temporary_app(
    settings: Settings,
    *,
    prefix: str = "supportbot-bench-",
    load_model: bool = False,
    import_demo: bool = True,
    vector_scope: str = "",
) -> AsyncIterator[App]:
    """``open_app`` over ``settings`` on ``bench.db`` in a new temporary folder ``prefix…``."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        async with open_app(
            settings.model_copy(update={"database_url": url}),
            load_model=load_model,
            import_demo=import_demo,
            vector_scope=vector_scope,
        ) as app:
            yield app
