"""What ``supportbot status`` reports: the database, the FAQ, the engine, jobs and queues.

It reads the database without migrating it (status must never change what it inspects) and
asks a running instance, when ``SUPPORTBOT_METRICS_PORT`` is set, for its ``/readyz``: the
model lives in that process, not in this one. Each section is read on its own, so a database
at an older revision still shows what it can.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.observability import backlog
from bot.observability.health import CHECK_TIMEOUT_SECONDS, remote_engine_check
from storage import migrations
from storage.db import make_session_factory
from storage.repositories import fleet, operations


async def database_section(db_engine: AsyncEngine, settings: Settings) -> dict[str, Any]:
    revision = await migrations.current_revision(db_engine)
    head = migrations.head_revision()
    return {
        "url": make_url(settings.database_url).render_as_string(hide_password=True),
        "revision": revision,
        "head": head,
        "at_head": revision == head,
    }


async def tables_section(db_engine: AsyncEngine) -> dict[str, Any]:
    """FAQ by language, open hand-offs, job runs, inbox/outbox (None where unreadable)."""
    factory = make_session_factory(db_engine)
    found: dict[str, Any] = {}
    readers = {
        "faq": operations.faq_by_language,
        "open_handoffs": operations.open_handoffs,
        "jobs": fleet.last_runs,
    }
    for name, read in readers.items():
        try:
            async with factory() as s:
                found[name] = await read(session=s)
        except SQLAlchemyError as exc:
            found[name] = None
            found.setdefault("errors", []).append(f"{name}: {type(exc).__name__}")
    try:
        async with factory() as s:
            found["inbox_backlog"], found["outbox_pending"] = await backlog.read(s)
    except SQLAlchemyError:
        found["inbox_backlog"] = found["outbox_pending"] = None
    found["jobs"] = [_job(run) for run in found["jobs"] or []]
    return found


def _job(run: fleet.LastRun) -> dict[str, Any]:
    return {
        "job": run.job,
        "last_started": _iso(run.started_at),
        "last_finished": _iso(run.finished_at),
        "ok": run.ok,
        "result": run.result,
        "holder": run.holder,
        "runs": run.runs,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


async def engine_section(settings: Settings, transport: Any = None) -> dict[str, Any]:
    """The configured model, and the engine as the running instance (or remote server) says."""
    section: dict[str, Any] = {
        "model": settings.model,
        "kind": "remote" if settings.is_remote_model else "local",
    }
    if not settings.is_remote_model:  # what a local engine picks on this machine's CPU
        from bot.engine.cpu import host_report

        section["host"] = host_report(settings.model_dtype)
    if settings.is_remote_model:
        check = await remote_engine_check(settings, transport)
        section["remote_reachable"], section["remote_detail"] = check.ok, check.detail
    if settings.metrics_port is None:
        section["instance"] = "unknown (set SUPPORTBOT_METRICS_PORT to ask the running bot)"
        return section
    url = f"http://{settings.metrics_listen}:{settings.metrics_port}/readyz"
    try:
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_SECONDS, transport=transport) as c:
            response = await c.get(url)
        checks = {c["name"]: c for c in response.json()["checks"]}
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        section["instance"] = f"no running instance answered at {url}"
        return section
    section["instance"] = "ready" if response.status_code == 200 else "not ready"
    section["engine_state"] = checks.get("engine", {}).get("detail")
    return section


async def collect(settings: Settings, db_engine: AsyncEngine) -> dict[str, Any]:
    """Every section, as one JSON-ready dict."""
    return {
        "database": await database_section(db_engine, settings),
        **await tables_section(db_engine),
        "engine": await engine_section(settings),
    }
