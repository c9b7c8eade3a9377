"""``supportbot eval`` counts the searches the reranker looked at (``eval_searches``)."""

from __future__ import annotations

from bot.commands.eval_searches import TimedSearches
from tests.knowledge.test_rerank import QUESTION, SHIPPING, indexed


def test_re_ranked_searches_are_counted_apart() -> None:
    index, _ = indexed(1)
    timed = TimedSearches(index)
    assert timed.search(QUESTION, k=2)[0].reranked  # unsure: mpnet looked again
    assert not timed.search(SHIPPING.question, k=2)[0].reranked  # its own wording: sure
    report = timed.report()
    assert report["searches"] == 2 and report["reranked"] == 1
    assert report["reranked_p50_ms"] is not None and report["not_reranked_p50_ms"] is not None
    assert report["p95_ms"] >= report["p50_ms"] > 0
