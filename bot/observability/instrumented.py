"""``InstrumentedEngine``: any ``GenerationEngine`` with per-process generation metrics.

The composition root wraps the engine it loads in this decorator (the way httpx wraps a
transport), so every backend — local, remote, a third party's — reports the same figures
without a line of metric code inside it: requests by outcome (the ``Generation``'s finish
reason, or the exception's class for ``EngineBusy`` / ``EngineUnavailable`` / …), tokens
generated, time to first token and total generation time. Anything else (``stats``,
``worker``, ``warm_up``) is passed through to the wrapped engine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import Metric

from bot.engine.base import (
    ChatMessage,
    Generation,
    GenerationEngine,
    GenerationRequest,
    TextCallback,
)

SECONDS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


class InstrumentedEngine(GenerationEngine):
    """Delegates to ``inner`` and counts what happens (this process's own figures)."""

    def __init__(self, inner: GenerationEngine) -> None:
        self.inner = inner
        self.name = inner.name
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "supportbot_generation_requests",
            "Generation requests by outcome: finish reason, or the error's class.",
            ["outcome"],
            registry=self.registry,
        )
        self.tokens = Counter(
            "supportbot_generation_tokens",
            "Tokens of finished generations, by kind (prompt, completion).",
            ["kind"],
            registry=self.registry,
        )
        self.first_token = Histogram(
            "supportbot_generation_first_token_seconds",
            "Time from the request to its first generated token.",
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.duration = Histogram(
            "supportbot_generation_seconds",
            "Time from the request to its last token (any outcome).",
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return self.inner.count_tokens(messages)

    async def generate(
        self, request: GenerationRequest, on_text: TextCallback | None = None
    ) -> Generation:
        started = time.monotonic()
        try:
            generation = await self.inner.generate(request, on_text)
        except asyncio.CancelledError:
            self.requests.labels("cancelled").inc()
            raise
        except Exception as exc:
            self.requests.labels(type(exc).__name__).inc()
            self.duration.observe(time.monotonic() - started)
            raise
        self.requests.labels(generation.finish_reason).inc()
        self.tokens.labels("prompt").inc(generation.prompt_tokens)
        self.tokens.labels("completion").inc(generation.completion_tokens)
        if generation.time_to_first_token is not None:
            self.first_token.observe(generation.time_to_first_token)
        self.duration.observe(time.monotonic() - started)
        return generation

    async def close(self) -> None:
        await self.inner.close()

    def metrics(self) -> Iterator[Metric]:
        """The families above, for ``/metrics``."""
        yield from self.registry.collect()


def instrumented(engine: GenerationEngine) -> InstrumentedEngine:
    """``engine`` wrapped (an already wrapped one is returned as it is)."""
    return engine if isinstance(engine, InstrumentedEngine) else InstrumentedEngine(engine)


def unwrapped(engine: Any) -> Any:
    """The engine inside the instrumentation, if any."""
    return engine.inner if isinstance(engine, InstrumentedEngine) else engine
