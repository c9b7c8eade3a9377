"""Engine and session factory: one async engine per process, SQLite tuned for a busy bot.

SQLite gets WAL (readers never block the writer), foreign keys on (so deleting a user really
deletes their sessions, messages and feedback) and a busy timeout (a second writer waits instead
of failing). Other databases (PostgreSQL via asyncpg) are used as they come.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000


class StorageError(Exception):
    """The database cannot be opened or used; the message says which and why."""


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for other databases and ``:memory:``."""
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return None
    return Path(url.database)


def location_problem(url_text: str) -> str | None:
    """Why a SQLite file could not be created or written at this URL, without touching disk."""
    path = sqlite_file(make_url(url_text))
    if path is None:
        return None
    if path.exists():
        if path.is_dir():
            return f"database path {path} is a directory"
        return (
            None if os.access(path, os.R_OK | os.W_OK) else f"database file {path} is not writable"
        )
    ancestor = path.parent.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"cannot create database {path}: {ancestor} is not writable"
    return None


def ensure_database_location(url_text: str) -> None:
    """Create the SQLite file's folder and check it is writable, with a clear error if not."""
    path = sqlite_file(make_url(url_text))
    if path is None:
        return
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create database folder {folder}: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(f"database folder {folder} is not writable")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StorageError(f"database file {path} is not writable")


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url_text: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url_text``; SQLite files get their folder and pragmas."""
    ensure_database_location(url_text)
    engine = create_async_engine(url_text, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    return engine


# Refresh the query planner's statistics, per database.
OPTIMIZE_STATEMENTS = {"sqlite": "PRAGMA optimize", "postgresql": "ANALYZE"}


def can_optimize(engine: AsyncEngine) -> bool:
    """True when ``optimize`` knows what to run on this database."""
    return engine.dialect.name in OPTIMIZE_STATEMENTS


async def optimize(engine: AsyncEngine) -> bool:
    """Refresh the planner's statistics (SQLite ``PRAGMA optimize``, PostgreSQL ``ANALYZE``)."""
    statement = OPTIMIZE_STATEMENTS.get(engine.dialect.name)
    if statement is None:
        return False
    async with engine.begin() as connection:
        await connection.exec_driver_sql(statement)
    return True


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (the service returns them)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def open_quick_commit_connection(engine: AsyncEngine) -> AsyncConnection:
    """A connection on which every statement commits on its own (one round trip, no BEGIN or
    COMMIT) and, on PostgreSQL, returns before its WAL reaches the disk.

    For the outbox's sent-marks only, where a few milliseconds less is a smaller window for a
    repeated reply. The bot being killed loses nothing by it (the server has the commit); only
    a crash of the database server itself in that fraction of a second can forget a mark, and a
    forgotten mark repeats one reply, it never loses one.
    """
    connection = await engine.connect()
    await connection.execution_options(isolation_level="AUTOCOMMIT")
    if engine.dialect.name == "postgresql":
        await connection.exec_driver_sql("SET synchronous_commit TO OFF")
    return connection


async def close_quick_commit_connection(connection: AsyncConnection) -> None:
    """Undo ``open_quick_commit_connection``'s settings and give the connection back."""
    try:
        if connection.dialect.name == "postgresql":
            await connection.exec_driver_sql("RESET synchronous_commit")
    finally:
        await connection.close()
