"""What ``/metrics``, ``/readyz`` and ``supportbot status`` read from the running services.

``OperationsReader`` is the read-only service behind them: database figures through
``storage.repositories.operations`` (one short transaction per scrape), the generation engine's
counters by looking at what the engine already exposes (``stats``, its worker's queue), and the
fleet's job runs. Nothing here writes, and nothing in the engine or the conversation had to
change for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prometheus_client.core import Metric
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.observability import backlog, events
from bot.observability.instrumented import InstrumentedEngine, unwrapped
from storage.repositories import fleet, operations

CONFIDENT_WINDOW = timedelta(hours=24)


@dataclass(slots=True)
class EngineFigures:
    """The generation engine as this process sees it (local engines have counters)."""

    kind: str  # local | remote | fake | none
    name: str = ""
    running: bool = False
    queue_depth: int | None = None  # requests waiting for a batch slot
    active: int | None = None  # requests in the batch (prefilling or decoding)
    max_batch: int | None = None
    steps: int | None = None  # forward passes
    tokens_generated: int | None = None  # decode tokens (one per row per step)
    prompt_tokens: int | None = None  # prefilled prompt tokens
    finished: int | None = None  # requests finished, whatever the reason
    max_rows: int | None = None  # largest decoding batch seen
    runs: dict[str, Any] | None = None  # local engine: CPU capability, weights, kernel


@dataclass(slots=True)
class Snapshot:
    """Everything one scrape reports."""

    figures: operations.Figures
    engine: EngineFigures
    jobs: list[fleet.LastRun] = field(default_factory=list)
    inbox_backlog: int | None = None  # None: this build has no durable inbox
    outbox_pending: int | None = None
    process_metrics: list[Metric] = field(default_factory=list)  # generation, events


def engine_figures(engine: Any) -> EngineFigures:
    """Read an engine's state without importing its module (and so torch)."""
    engine = unwrapped(engine)
    if engine is None:
        return EngineFigures(kind="none")
    name = str(getattr(engine, "name", type(engine).__name__))
    running = not bool(getattr(engine, "_closed", getattr(engine, "closed", False)))
    kind = {"LocalEngine": "local", "RemoteEngine": "remote", "FakeEngine": "fake"}.get(
        type(engine).__name__, "other"
    )
    figures = EngineFigures(kind=kind, name=name, running=running)
    runs = getattr(engine, "runs", None)
    figures.runs = dict(runs) if isinstance(runs, dict) else None
    worker = getattr(engine, "worker", None)
    stats = getattr(worker, "stats", None)
    if worker is None or stats is None:
        return figures
    figures.queue_depth = len(worker.queue)  # a deque: len() is safe from another thread
    figures.active = int(worker.active)
    figures.max_batch = int(worker.max_batch)
    figures.steps = int(stats.steps)
    figures.tokens_generated = int(stats.decode_tokens)
    figures.prompt_tokens = int(stats.prefill_tokens)
    figures.finished = int(stats.finished)
    figures.max_rows = int(stats.max_rows)
    return figures


class OperationsReader:
    """Read-only figures of one running supportbot (the database ones are fleet-wide)."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], engine: Any = None
    ) -> None:
        self.session_factory = session_factory
        self.engine = engine

    async def snapshot(self) -> Snapshot:
        """One consistent read of everything ``/metrics`` reports."""
        async with self.session_factory() as s, s.begin():
            figures = await operations.collect(session=s, window=CONFIDENT_WINDOW)
            jobs = await fleet.last_runs(session=s)
            inbox, outbox = await backlog.read(s)
        own = list(events.metrics())
        if isinstance(self.engine, InstrumentedEngine):
            own.extend(self.engine.metrics())
        return Snapshot(figures, engine_figures(self.engine), jobs, inbox, outbox, own)
