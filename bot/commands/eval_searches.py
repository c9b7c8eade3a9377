"""How long the app's searches took during ``supportbot eval``, and how many mpnet re-ranked.

``TimedSearches`` stands in front of the app's own ``FaqIndex`` while the labelled queries are
ranked once (their first search: no query vector is cached yet), so the latency ``eval``
reports is the latency of the index the bot answers with. Re-ranked searches (the mpnet
reranker looked again) cost several times a sure one, so both are reported apart, with counts:
a reranker that silently never runs shows as ``reranked: 0``.
"""

from __future__ import annotations

import time
from typing import Any

from bot.knowledge.entries import FaqHit
from bot.knowledge.ranking.index import FaqIndex


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in [0, 1])."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


class TimedSearches:
    """``index.search`` with the time of each search and whether its top hit was re-ranked."""

    def __init__(self, index: FaqIndex) -> None:
        self.index = index
        self.times: list[tuple[float, bool]] = []

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[FaqHit]:
        started = time.perf_counter()
        hits = self.index.search(query, k=k, language=language)
        took = (time.perf_counter() - started) * 1000.0
        self.times.append((took, bool(hits) and hits[0].reranked))
        return hits

    def report(self) -> dict[str, Any]:
        """Searches, how many were re-ranked, p50/p95 of all and p50 of each kind (ms)."""
        every = [ms for ms, _ in self.times]
        report: dict[str, Any] = {
            "searches": len(every),
            "reranked": sum(was for _, was in self.times),
            "p50_ms": round(percentile(every, 0.5), 2) if every else None,
            "p95_ms": round(percentile(every, 0.95), 2) if every else None,
        }
        for label, wanted in (("reranked", True), ("not_reranked", False)):
            times = [ms for ms, was in self.times if was == wanted]
            report[f"{label}_p50_ms"] = round(percentile(times, 0.5), 2) if times else None
        return report
