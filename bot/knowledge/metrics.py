"""Retrieval quality on a labelled dataset: P@1, R@5, MRR@10 and the confident mode's precision.

Used by `supportbot eval`, bench/retrieval.py and the tests, so every number we quote is computed
one way. A dataset is the ``dev.json`` schema: ``faq`` entries and ``queries`` with a gold
``faq_id`` (or ``faq_ids``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.knowledge.documents import FaqDocument, FaqId
from bot.knowledge.faqfile import read_faq_file
from bot.knowledge.index import FaqIndex
from bot.knowledge.thresholds import CONFIDENT_THRESHOLD

LabelledQuery = tuple[str, set[FaqId]]


def load_dataset(path: Path | str) -> tuple[list[FaqDocument], list[LabelledQuery]]:
    """FAQ documents and (query, gold ids) pairs of a ``dev.json``-style file."""
    path = Path(path)
    records = read_faq_file(path)
    documents = [record.to_document(fallback_id=number) for number, record in enumerate(records)]
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    queries: list[LabelledQuery] = []
    for item in data.get("queries", []) if isinstance(data, dict) else []:
        gold = item.get("faq_ids", item.get("faq_id"))
        ids = set(gold) if isinstance(gold, list) else {gold}
        queries.append((str(item["query"]), ids))
    return documents, queries


def retrieval_metrics(
    index: FaqIndex,
    queries: Sequence[LabelledQuery],
    threshold: float = CONFIDENT_THRESHOLD,
    language: str | None = None,
) -> dict[str, float | int]:
    """Ranking quality of ``index`` on ``queries`` and how the confident mode would fare."""
    hits_at_1 = recall_at_5 = reciprocal_ranks = 0.0
    confident = confident_right = 0
    for query, gold in queries:
        hits = index.search(query, k=10, language=language)
        ranked = [hit.document.id for hit in hits]
        rank = next((i for i, doc_id in enumerate(ranked, start=1) if doc_id in gold), None)
        if rank == 1:
            hits_at_1 += 1
        if rank is not None and rank <= 5:
            recall_at_5 += 1
        if rank is not None:
            reciprocal_ranks += 1.0 / rank
        if hits and hits[0].confidence >= threshold:
            confident += 1
            confident_right += int(rank == 1)
    total = max(len(queries), 1)
    return {
        "queries": len(queries),
        "p_at_1": round(hits_at_1 / total, 4),
        "r_at_5": round(recall_at_5 / total, 4),
        "mrr_at_10": round(reciprocal_ranks / total, 4),
        "confident_threshold": threshold,
        "confident_precision": round(confident_right / confident, 4) if confident else 1.0,
        "confident_coverage": round(confident / total, 4),
    }
