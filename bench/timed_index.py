"""A FaqIndex that times its searches, for the retrieval benchmark.

Search time depends on whether the mpnet reranker looked again (about 40 ms here against 4-7 ms),
so every figure is also given for the re-ranked searches and the others apart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bot.knowledge.encoders.base import TextEncoder
from bot.knowledge.entries import FaqHit
from bot.knowledge.ranking.index import FaqIndex


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class TimedFaqIndex(FaqIndex):
    """Remembers how long each search took and whether mpnet re-ranked it."""

    def __init__(self, encoder: TextEncoder | None) -> None:
        super().__init__(encoder)
        self.times: list[tuple[float, bool]] = []

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[FaqHit]:
        started = time.perf_counter()
        hits = super().search(query, k, language)
        took = (time.perf_counter() - started) * 1000.0
        self.times.append((took, bool(hits) and hits[0].reranked))
        return hits

    def timed(self, queries: Sequence[str]) -> dict[str, Any]:
        """``latency`` of searching each of ``queries`` once (top 5)."""
        self.times.clear()
        for query in queries:
            self.search(query, k=5)
        return self.latency()

    def latency(self) -> dict[str, Any]:
        """p50/p95 of the searches so far, how many mpnet re-ranked, and the p50 of those and
        of the rest."""
        every = [ms for ms, _ in self.times]
        report: dict[str, Any] = {
            "search_p50_ms": round(percentile(every, 0.5), 2) if every else None,
            "search_p95_ms": round(percentile(every, 0.95), 2) if every else None,
            "searches": len(every),
            "reranked": sum(was for _, was in self.times),
        }
        for label, wanted in (("reranked", True), ("not_reranked", False)):
            times = [ms for ms, was in self.times if was == wanted]
            report[f"search_{label}_p50_ms"] = round(percentile(times, 0.5), 2) if times else None
        return report
