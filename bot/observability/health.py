"""``/readyz``: is this instance able to answer customers right now?

Ready means: the database answers, its schema is at the revision this code expects (an
instance started before an upgrade finished, or a newer one on an old database, is not ready),
and the generation engine is usable: loaded and open here, or, for a remote engine, its
OpenAI-compatible server answers ``GET /models``. Each check has a deadline, so a hung database
makes ``/readyz`` fail rather than hang the load balancer's probe.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.engine.remote import base_url_of
from bot.observability.readings import engine_figures
from storage import migrations

CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Check:
    """One readiness condition and what was found."""

    name: str
    ok: bool
    detail: str


async def database_check(db_engine: AsyncEngine) -> list[Check]:
    """The database answers, and its schema is at head."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            async with db_engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            revision = await migrations.current_revision(db_engine)
    except Exception as exc:  # any failure means "not ready"; the detail says which
        reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        return [Check("database", False, reason), Check("migrations", False, "unknown")]
    head = migrations.head_revision()
    at_head = Check("migrations", revision == head, f"at {revision}, code expects {head}")
    return [Check("database", True, db_engine.dialect.name), at_head]


async def remote_engine_check(settings: Settings, transport: Any = None) -> Check:
    """The OpenAI-compatible server answers ``GET /models`` (what vLLM, llama.cpp, TGI serve)."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        url = base_url_of(settings.model) + "/models"
        async with httpx.AsyncClient(
            timeout=CHECK_TIMEOUT_SECONDS, headers=headers, transport=transport
        ) as client:
            response = await client.get(url)
    except Exception as exc:
        return Check("engine", False, f"remote engine unreachable: {type(exc).__name__}")
    ok = response.status_code < 400
    return Check("engine", ok, f"remote engine answered HTTP {response.status_code}")


async def engine_check(settings: Settings, engine: Any) -> Check:
    """The model is loaded and open here, or the remote server is reachable."""
    figures = engine_figures(engine)
    if figures.kind == "none":
        return Check("engine", False, "no generation engine loaded")
    if not figures.running:
        return Check("engine", False, f"engine {figures.name} is closed")
    if settings.is_remote_model and figures.kind == "remote":
        return await remote_engine_check(settings)
    runs = figures.runs
    how = ""
    if runs:  # a local engine: what it runs on this CPU
        how = f" ({runs['cpu_capability']}, {runs['weights']} weights, {runs['kernel']})"
    return Check("engine", True, f"{figures.kind} engine {figures.name} loaded{how}")


async def readiness(settings: Settings, db_engine: AsyncEngine, engine: Any) -> list[Check]:
    """Every readiness check, in order."""
    return [*await database_check(db_engine), await engine_check(settings, engine)]


def as_json(checks: list[Check]) -> dict[str, Any]:
    """``{"ready": bool, "checks": [...]}`` for the ``/readyz`` body."""
    return {"ready": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}
